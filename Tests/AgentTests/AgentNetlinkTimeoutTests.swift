import XCTest
import HanetOCF
import HanetNetlink
@testable import HanetAgents

/// Each action's kernel handles give up before Pacemaker does.
final class AgentNetlinkTimeoutTests: XCTestCase {
    private func context(timeout: Duration?) -> AgentContext {
        AgentContext(action: "monitor", parameters: Parameters(values: ["bridge": "xenbr1"], specs: BridgeAgent.metadata.parameters),
                     timeout: timeout, log: OCFLog(tag: "test", sink: DiscardingLogSink()))
    }

    func testWithoutAnOCFTimeoutTheLibraryDefaultApplies() {
        XCTAssertEqual(context(timeout: nil).netlinkTimeout(), .default)
        XCTAssertEqual(context(timeout: .zero).netlinkTimeout(), .default)
        XCTAssertEqual(NetlinkTimeout.default.perReply, .seconds(5))
        XCTAssertNil(NetlinkTimeout.default.deadline)
    }

    /// 20 s (the agents' advertised monitor/start timeout): every wait ends
    /// 2 s before Pacemaker's, none longer than 5 s.
    func testTheDeadlineIsTheActionsTimeoutLessATenth() {
        let start = ContinuousClock.now
        let timeout = context(timeout: .seconds(20)).netlinkTimeout(from: start)
        XCTAssertEqual(timeout.deadline, start + .seconds(18))
        XCTAssertEqual(timeout.perReply, .seconds(5))
    }

    func testShortTimeoutsKeepAtLeastASecondOrHalfForTheAgent() {
        let start = ContinuousClock.now
        let three = context(timeout: .seconds(3)).netlinkTimeout(from: start)
        XCTAssertEqual(three.deadline, start + .seconds(2))
        XCTAssertEqual(three.perReply, .seconds(2))
        let one = context(timeout: .seconds(1)).netlinkTimeout(from: start)
        XCTAssertEqual(one.deadline, start + .milliseconds(500))
        XCTAssertEqual(one.perReply, .milliseconds(500))
    }

    /// The bridge agent's handles carry it (the socket opens unprivileged).
    func testTheBridgeAgentsHandlesCarryTheActionsDeadline() throws {
        let before = ContinuousClock.now
        let links = try BridgeAgent(context: context(timeout: .seconds(20))).resource().links
        let deadline = try XCTUnwrap(links.connection.timeout.deadline)
        XCTAssertGreaterThanOrEqual(deadline, before + .seconds(18))
        XCTAssertLessThanOrEqual(deadline, ContinuousClock.now + .seconds(18))
    }
}
