import XCTest
import Glibc
import HanetHost
import HanetLinks
import HanetNetlink
import HanetTesting

/// How a tool built on hanet tests its own logic without root: the host
/// library runs against `FakeLinkKernel`, which keeps links like the kernel
/// does, enforces its rules, and logs each change as the `ip` command it is.
final class SeedBridgeTests: XCTestCase {
    private var kernel: FakeLinkKernel!
    private var stateDirectory: String!

    override func setUpWithError() throws {
        kernel = FakeLinkKernel()
        kernel.addLink("eth1", mac: "52:54:00:00:00:01", up: true)
        var template = Array("/tmp/guest-pair-test-XXXXXX".utf8CString)
        stateDirectory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        chmod(stateDirectory, 0o755)
    }

    override func tearDown() {
        if let stateDirectory { _ = try? FileManager.default.removeItem(atPath: stateDirectory) }
    }

    private func attachment() -> BridgeAttachment {
        var bridge = BridgeConfiguration(bridge: "xenbr1", uplink: "eth1")
        bridge.arp = false
        bridge.multicast = false
        return BridgeAttachment(configuration: bridge, links: LinkManager(connection: NetlinkConnection(transport: kernel)),
                                stateDirectory: stateDirectory)
    }

    func testSeed000BridgeComesUpAndGoesAwayAgain() throws {
        let bridge = attachment()
        try bridge.start()
        XCTAssertEqual(try bridge.health().state, .running)
        XCTAssertTrue(kernel.changeLines().contains("link set eth1 master xenbr1"), "\(kernel.changeLines())")
        XCTAssertEqual(kernel.link(named: "xenbr1")?.flags.contains(.noARP), true)
        try bridge.stop()
        XCTAssertNil(kernel.link(named: "xenbr1"), "stop removes what start created")
        XCTAssertNil(kernel.link(named: "eth1")?.masterIndex)
    }

    func testARefusedEnslaveLeavesNothingBehind() throws {
        kernel.failNext(.newLink, object: "eth1", errno: EBUSY, message: "injected") { $0.summary.hasSuffix(" master xenbr1") }
        XCTAssertThrowsError(try attachment().start())
        XCTAssertNil(kernel.link(named: "xenbr1"), "the bridge start created is rolled back")
    }
}
