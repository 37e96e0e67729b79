import XCTest
import Glibc
import HanetLinks
import HanetNetlink
import TestSupport

/// Ownership records decide what stop deletes, so the agents refuse records
/// another user could have planted: a link at the record's path, or a state
/// directory others can write. The target of a planted link is never touched.
final class StateFileSafetyNetnsTests: XCTestCase {
    private var ns: TestNamespace!
    private var agent: AgentProcess!
    private var links: LinkManager!
    private var target: String!
    private let params = ["bridge": "xenbr1", "uplink": "bond0"]

    override func setUpWithError() throws {
        ns = try TestNamespace("stsafe")
        agent = try AgentProcess(agent: "bridge", namespace: ns)
        links = try LinkManager(namespace: .named(ns.name))
        try links.add("bond0", kind: .veth(Veth(peer: "switch0")))
        target = agent.stateDirectory + "/../precious"
        try "precious\n".write(toFile: target, atomically: false, encoding: .utf8)
    }

    override func tearDown() {
        if let dir = agent?.stateDirectory { chmod(dir, 0o755) }
        links = nil
        ns?.remove()
    }

    func testLinkPlantedAtTheRecordIsRefusedAndItsTargetUntouched() throws {
        let record = agent.stateDirectory + "/hanet-bridge-xenbr1.state"
        XCTAssertEqual(symlink(target, record), 0)
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 4, "\(start)")
        XCTAssertTrue(start.exitReason?.contains(record) == true, "\(start)")
        XCTAssertNil(try links.link(named: "xenbr1"), "nothing created on a record it cannot trust")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious\n")
        XCTAssertEqual(agent.run("stop", params).status, 4, "stop refuses too: it would act on the record")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious\n")
        unlink(record)
        XCTAssertEqual(agent.run("start", params).status, 0, "the link removed, start works")
        XCTAssertEqual(agent.run("stop", params).status, 0)
    }

    func testStateDirectoryWritableByOthersIsRefused() throws {
        XCTAssertEqual(chmod(agent.stateDirectory, 0o777), 0)
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 4, "\(start)")
        XCTAssertTrue(start.exitReason?.contains("is writable by group or others (mode 0777; chmod go-w") == true, "\(start)")
        XCTAssertNil(try links.link(named: "xenbr1"))
        XCTAssertEqual(chmod(agent.stateDirectory, 0o1777), 0)
        XCTAssertEqual(agent.run("start", params).status, 4, "sticky is no excuse for the state directory itself")
        XCTAssertEqual(chmod(agent.stateDirectory, 0o755), 0)
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertEqual(agent.run("stop", params).status, 0)
    }

    func testStateDirectoryOwnedByAnotherUserIsRefused() throws {
        XCTAssertEqual(chown(agent.stateDirectory, 65534, 65534), 0)
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 4, "\(start)")
        XCTAssertTrue(start.exitReason?.contains("belongs to uid 65534, not root") == true, "\(start)")
        XCTAssertEqual(chown(agent.stateDirectory, 0, 0), 0)
    }
}
