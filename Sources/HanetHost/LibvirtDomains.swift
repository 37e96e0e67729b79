import Glibc
import HanetSystem
import HanetLinks

/// The MACs of libvirt domains (`guest_domains`), from libvirt's own records
/// on this node: the persistent definition (`/etc/libvirt/qemu/NAME.xml`,
/// there before the guest first starts, so a guest that starts while the
/// host is blocked is covered) and the run-time state
/// (`/run/libvirt/qemu/NAME.xml`, a running or transient domain, with the
/// `vnetN` port it got).
///
/// A record is trusted only as `FileTrust` allows (root's, not writable by
/// group or others, in directories likewise): libvirt's MACs decide which
/// frames are dropped, so a file another user could write must not.
///
/// A domain with no record on this node is not an error: it may be defined
/// here later (a migration target, a node added to the cluster), and it
/// cannot run here before it is. It is reported, so the agent logs it; the
/// next monitor after the domain is defined finds its rules missing and
/// Pacemaker recovers the instance, which reads the new definition.
public struct LibvirtDomains: Sendable {
    /// Where persistent definitions live.
    public var configDirectory: String
    /// Where libvirt keeps running domains' state.
    public var runDirectory: String

    public static let defaultConfigDirectory = "/etc/libvirt/qemu"
    public static let defaultRunDirectory = "/run/libvirt/qemu"

    public init(configDirectory: String = defaultConfigDirectory, runDirectory: String = defaultRunDirectory) {
        self.configDirectory = configDirectory
        self.runDirectory = runDirectory
    }

    /// What was found for a list of domains.
    public struct Resolution: Equatable, Sendable {
        /// Every MAC of every domain, definition and run-time state together.
        public var macs: [MACAddress] = []
        /// The host-side ports of running domains (`<target dev=...>`).
        public var ports: [String] = []
        /// Domains with no record on this node.
        public var missing: [String] = []

        /// Nothing found yet.
        public init() {}
    }

    /// A libvirt domain name as a file name: not empty, no `/`, not `.` or
    /// `..`, no control bytes, at most 200 bytes. nil when acceptable.
    public static func problem(withName name: String) -> String? {
        if name.isEmpty || name == "." || name == ".." || name.utf8.count > 200 || name.hasPrefix("-")
            || name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 < 0x20 || $0 == 0x7f }) {
            return "'\(name)' is not a libvirt domain name"
        }
        return nil
    }

    /// Reads the records of `names`. Throws on a record that exists but is
    /// untrusted (`.permission`) or not understood (`.guestRecord`).
    public func resolve(_ names: [String]) throws(HostError) -> Resolution {
        var resolution = Resolution()
        for name in names {
            var seen = false
            for directory in [configDirectory, runDirectory] {
                guard let interfaces = try read(directory + "/" + name + ".xml") else { continue }
                seen = true
                for interface in interfaces {
                    if let mac = interface.mac, !resolution.macs.contains(mac) { resolution.macs.append(mac) }
                    if let port = interface.target, !resolution.ports.contains(port) { resolution.ports.append(port) }
                }
            }
            if !seen { resolution.missing.append(name) }
        }
        return resolution
    }

    /// The interfaces of one record; nil when there is no such file.
    func read(_ path: String) throws(HostError) -> [LibvirtDomainXML.Interface]? {
        let bytes: [UInt8]
        switch TrustedFile.read(path, limit: LibvirtDomainXML.maximumSize) {
        case .absent: return nil
        case .failed(let errno, let what):
            throw HostError(errno == EACCES || errno == EPERM ? .permission : .guestRecord, object: path, errno: errno,
                            "cannot \(what) libvirt record \(path): \(String(cString: strerror(errno)))")
        case .untrusted(let problem):
            throw HostError(.permission, object: path, errno: EPERM, "libvirt record \(path) is not safe: \(problem); refusing its MACs")
        case .contents(let data):
            bytes = data
        }
        do {
            return try LibvirtDomainXML.interfaces(in: bytes)
        } catch {
            throw HostError(.guestRecord, object: path, "libvirt record \(path) is not understood: \(error)")
        }
    }
}
