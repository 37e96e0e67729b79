import XCTest
import Glibc
import TestSupport

/// On a kernel without the bonding driver (this host), start says so with
/// OCF_ERR_INSTALLED and the kernel's words, and touches nothing; the
/// configuration checks still work. (The VM tier covers a real driver.)
final class BondAgentHostTests: XCTestCase {
    func testStartWithoutBondingDriverIsNotInstalledAndChangesNothing() throws {
        let ns = try TestNamespace("bondhost")
        defer { ns.remove() }
        if FileManager.default.fileExists(atPath: "/sys/module/bonding") {
            throw XCTSkip("this kernel has the bonding driver; the VM tier covers start")
        }
        try ns.sh("ip link add e1 type veth peer name p1; ip link add e2 type veth peer name p2; ip link set e1 up")
        let before = try ns.exec(["ip", "-br", "link"], must: true).stdout
        let agent = try AgentProcess(agent: "bond", namespace: ns)
        let params = ["bond": "bond0", "slaves": "e1 e2", "vlans": "10"]
        XCTAssertEqual(agent.run("validate-all", params).status, 0)
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 5, "\(start)")
        XCTAssertEqual(start.exitReason, "RTM_NEWLINK bond0: Unknown device type (EOPNOTSUPP): this kernel has no driver for it (module missing or not loadable)")
        XCTAssertEqual(try ns.exec(["ip", "-br", "link"], must: true).stdout, before, "nothing changed")
        XCTAssertEqual(agent.run("monitor", params).status, 7)
        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertEqual(agent.run("validate-all", ["bond": "bond0", "slaves": "e1 e9"]).status, 5, "missing slave is node-local")
        XCTAssertEqual(agent.run("validate-all", ["bond": "bond0", "slaves": "e1"]).status, 6)
    }
}
