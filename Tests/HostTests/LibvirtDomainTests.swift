import XCTest
import Glibc
import Foundation
import HanetLinks
@testable import HanetHost

/// libvirt's records as libvirt writes them, and as nobody should.
final class LibvirtDomainTests: XCTestCase {
    /// A persistent definition as libvirt 9 writes it (`virsh define`), abridged.
    static let definition = """
        <!--
        WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
        OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
          virsh edit web1
        or other application using the libvirt API.
        -->

        <domain type='qemu'>
          <name>web1</name>
          <uuid>6f6c1b7e-0a4e-4d44-9e0e-1b8f9f0c2a11</uuid>
          <memory unit='KiB'>131072</memory>
          <os>
            <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
            <kernel>/var/lib/hanet/guest/bzImage</kernel>
            <cmdline>console=ttyS0 quiet</cmdline>
          </os>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <interface type='bridge'>
              <mac address='52:54:00:12:34:56'/>
              <source bridge='xenbr1'/>
              <model type='virtio'/>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
            </interface>
            <interface type="network">
              <mac address="52:54:00:AB:CD:EF"/>
              <source network="default"/>
            </interface>
            <serial type='pty'><target port='0'/></serial>
          </devices>
        </domain>
        """

    /// The run-time state of the same domain while it runs (`/run/libvirt/qemu/web1.xml`), abridged.
    static let status = """
        <?xml version="1.0"?>
        <domstatus state='running' reason='booted' pid='4242'>
          <monitor path='/var/lib/libvirt/qemu/domain-3-web1/monitor.sock' type='unix'/>
          <vcpus><vcpu id='0' pid='4250'/></vcpus>
          <domain type='qemu' id='3'>
            <name>web1</name>
            <devices>
              <interface type='bridge'>
                <mac address='52:54:00:12:34:56'/>
                <source bridge='xenbr1'/>
                <target dev='vnet3'/>
                <model type='virtio'/>
                <alias name='net0'/>
              </interface>
              <console type='pty' tty='/dev/pts/3'><target type='serial' port='0'/></console>
            </devices>
            <seclabel type='dynamic' model='dac' relabel='yes'><label>+64055:+64055</label></seclabel>
          </domain>
        </domstatus>
        """

    func testDefinitionAndStatusAsLibvirtWritesThem() throws {
        XCTAssertEqual(try LibvirtDomainXML.interfaces(in: Array(Self.definition.utf8)), [
            .init(mac: "52:54:00:12:34:56", target: nil), .init(mac: "52:54:00:ab:cd:ef", target: nil),
        ])
        XCTAssertEqual(try LibvirtDomainXML.interfaces(in: Array(Self.status.utf8)), [.init(mac: "52:54:00:12:34:56", target: "vnet3")])
    }

    func testOnlyInterfacesDirectlyInsideDevicesCount() throws {
        // A <target> outside an interface (the console's) and a <mac> elsewhere are not guests' ports.
        let text = "<domain><metadata><interface><mac address='02:00:00:00:00:99'/></interface></metadata>"
            + "<devices><console><target dev='ttyS0'/></console><interface type='user'/></devices></domain>"
        XCTAssertEqual(try LibvirtDomainXML.interfaces(in: Array(text.utf8)), [.init(mac: nil, target: nil)])
        let nested = "<domain><devices><interface><interface><mac address='02:00:00:00:00:99'/></interface></interface></devices></domain>"
        XCTAssertEqual(try LibvirtDomainXML.interfaces(in: Array(nested.utf8)), [.init(mac: nil, target: nil)])
    }

    func testHostileRecordsAreRefusedNotGuessed() {
        let hostile: [(String, String)] = [
            ("<domain><devices><interface><mac address='52:54:00:12:34:56'/>", "<interface> is never closed"),
            ("<domain><devices><interface><mac address='52:54:00:12:34:56", "an attribute value of <mac> is never closed"),
            ("<domain><devices><interface><mac address='zz'/></interface></devices></domain>", "<mac address='zz'> is not a MAC address"),
            ("<domain><devices><interface><target dev='../../etc'/></interface></devices></domain>", "<target dev='../../etc'> is not an interface name"),
            ("<domain></devices>", "</devices> does not close <domain>"),
            ("<domain><!-- never closed", "<!-- is never closed by -->"),
            ("<domain a=b></domain>", "an attribute of <domain> is not name='value'"),
            ("<domain a='1' a='2'></domain>", "attribute a twice in <domain>"),
            ("<domain a='<'></domain>", "'<' inside an attribute value of <domain>"),
            ("<>", "a tag without a name"),
            ("<domain/ >", "a stray '/' in <domain>"),
            (String(repeating: "<a>", count: 65), "nested deeper than 64"),
        ]
        for (text, reason) in hostile {
            XCTAssertThrowsError(try LibvirtDomainXML.interfaces(in: Array(text.utf8)), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(reason), "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try LibvirtDomainXML.interfaces(in: [UInt8](repeating: 0x20, count: LibvirtDomainXML.maximumSize + 1)))
        // Every prefix of a real record either scans or throws: never a crash.
        let bytes = Array(Self.status.utf8)
        for cut in 0..<bytes.count { _ = try? LibvirtDomainXML.interfaces(in: Array(bytes[..<cut])) }
    }

    func testDomainNames() {
        XCTAssertNil(LibvirtDomains.problem(withName: "web-1.example_a"))
        for bad in ["", ".", "..", "a/b", "-rf", "a\nb", String(repeating: "x", count: 201)] {
            XCTAssertNotNil(LibvirtDomains.problem(withName: bad), bad)
        }
    }

    // MARK: files

    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "hanet-libvirt-\(UUID().uuidString.prefix(8))"
        for sub in ["", "/etc", "/run"] {
            XCTAssertEqual(mkdir(directory + sub, 0o755), 0)
            chmod(directory + sub, 0o755)
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    private func write(_ path: String, _ text: String, mode: mode_t = 0o600) throws {
        try text.write(toFile: directory + path, atomically: false, encoding: .utf8)
        chmod(directory + path, mode)
    }

    private var domains: LibvirtDomains { LibvirtDomains(configDirectory: directory + "/etc", runDirectory: directory + "/run") }

    func testResolveUnitesDefinitionAndRunTimeStateAndNamesMissingDomains() throws {
        try write("/etc/web1.xml", Self.definition)
        try write("/run/web1.xml", Self.status)
        try write("/run/transient.xml", Self.status.replacingOccurrences(of: "52:54:00:12:34:56", with: "52:54:00:00:00:07"))
        let found = try domains.resolve(["web1", "transient", "elsewhere"])
        XCTAssertEqual(found.macs, ["52:54:00:12:34:56", "52:54:00:ab:cd:ef", "52:54:00:00:00:07"])
        XCTAssertEqual(found.ports, ["vnet3"])
        XCTAssertEqual(found.missing, ["elsewhere"])
    }

    func testUntrustedRecordsAreRefused() throws {
        try write("/etc/web1.xml", Self.definition, mode: 0o620)
        XCTAssertThrowsError(try domains.resolve(["web1"])) { error in
            XCTAssertEqual((error as? HostError)?.kind, .permission)
            XCTAssertTrue("\(error)".contains("writable by group or others"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: directory + "/etc/web1.xml")
        // A link planted at the path is not followed.
        try write("/run/real.xml", Self.status)
        XCTAssertEqual(symlink(directory + "/run/real.xml", directory + "/etc/web1.xml"), 0)
        XCTAssertThrowsError(try domains.resolve(["web1"])) { error in
            XCTAssertTrue("\(error)".contains("link planted"), "\(error)")
        }
        unlink(directory + "/etc/web1.xml")
        // A directory others may write is not trusted either.
        chmod(directory + "/etc", 0o777)
        try write("/etc/web1.xml", Self.definition)
        XCTAssertThrowsError(try domains.resolve(["web1"])) { error in
            XCTAssertEqual((error as? HostError)?.kind, .permission, "\(error)")
        }
    }

    func testAMalformedRecordIsAnError() throws {
        try write("/etc/web1.xml", "<domain><devices><interface><mac address='nope'/></interface></devices></domain>")
        XCTAssertThrowsError(try domains.resolve(["web1"])) { error in
            XCTAssertEqual((error as? HostError)?.kind, .guestRecord)
            XCTAssertTrue("\(error)".contains("<mac address='nope'> is not a MAC address"), "\(error)")
        }
    }
}
