import XCTest
import Glibc
@testable import HanetNetlink
import HanetTesting

/// Faults of the kernel and the socket, one request at a time: each must end
/// in an error that names the operation, its object and the errno, never in a
/// hang, a trap or a silently partial answer.
final class NetlinkFaultTests: XCTestCase {
    func request(_ type: UInt16 = 18) -> NetlinkRequest {
        var r = NetlinkRequest(type: type, flags: 0)
        r.append(bytes: [UInt8](repeating: 0, count: 16))
        return r
    }

    func connection(_ fake: FakeNetlinkTransport, timeout: NetlinkTimeout = .default) -> NetlinkConnection {
        NetlinkConnection(transport: fake, firstSequence: 1, timeout: timeout)
    }

    func assertError(_ body: @autoclosure () throws -> Any, _ text: String, errno: Int32,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual("\(error)", text, file: file, line: line)
            XCTAssertEqual((error as? NetlinkError)?.errno, errno, file: file, line: line)
        }
    }

    // MARK: refusals

    /// ENOBUFS, EINTR, EBUSY, EAGAIN as the kernel's answer to a change, a
    /// get, a dump (in NLMSG_DONE) and a batch.
    func testKernelRefusalsNameOperationObjectAndErrno() {
        for code in [ENOBUFS, EINTR, EBUSY, EAGAIN] {
            let fake = FakeNetlinkTransport()
            let netlink = connection(fake)
            let why = Errno.describe(code), name = Errno.name(code)
            fake.expect(FakeNetlinkTransport.error(code))
            assertError(try netlink.execute(request(16), operation: "RTM_NEWLINK", object: "br0"), "RTM_NEWLINK br0: \(why) (\(name))", errno: code)
            fake.expect(FakeNetlinkTransport.error(code, message: "kernel says no"))
            assertError(try netlink.get(request(18), operation: "RTM_GETLINK", object: "xenbr1"), "RTM_GETLINK xenbr1: kernel says no (\(name))", errno: code)
            fake.expect({ seq, port in
                FakeNetlinkTransport.message(type: 3, flags: 2, sequence: seq, portID: port, payload: withUnsafeBytes(of: -code) { Array($0) })
            })
            assertError(try netlink.dump(request(18), operation: "RTM_GETLINK"), "RTM_GETLINK: \(why) (\(name))", errno: code)
            fake.expect(FakeNetlinkTransport.error(code))
            assertError(try netlink.batch(batch()), "BEGIN t: \(why) (\(name))", errno: code)
        }
    }

    // MARK: answers that never come

    func testEveryKindOfWaitEndsAtTheTimeoutNamingTheOperation() {
        let fake = FakeNetlinkTransport()
        let netlink = connection(fake)
        fake.expectNoReply()
        assertError(try netlink.get(request(), operation: "RTM_GETLINK", object: "xenbr1"),
                    "RTM_GETLINK xenbr1: no reply within 5000 ms (ETIMEDOUT)", errno: ETIMEDOUT)
        fake.expectNoReply()
        assertError(try netlink.execute(request(16), operation: "RTM_NEWLINK", object: "br0"),
                    "RTM_NEWLINK br0: no reply within 5000 ms (ETIMEDOUT)", errno: ETIMEDOUT)
        fake.expectNoReply()
        assertError(try netlink.dump(request(), operation: "RTM_GETLINK"), "RTM_GETLINK: no reply within 5000 ms (ETIMEDOUT)", errno: ETIMEDOUT)
        fake.expectNoReply()
        assertError(try netlink.batch(batch()), "BEGIN t: no reply within 5000 ms (ETIMEDOUT)", errno: ETIMEDOUT)
        XCTAssertEqual(fake.timeouts, 4)
    }

    /// A get answered by a bare ACK and then nothing: the ACK is not the answer.
    func testGetAnsweredOnlyByAnAckTimesOut() {
        let fake = FakeNetlinkTransport()
        fake.expect(FakeNetlinkTransport.ack())
        assertError(try connection(fake).get(request(), operation: "RTM_GETLINK", object: "xenbr1"),
                    "RTM_GETLINK xenbr1: no reply within 5000 ms (ETIMEDOUT)", errno: ETIMEDOUT)
    }

    /// The first datagram of a dump arrives, the one with NLMSG_DONE never does.
    func testDumpThatStopsHalfwayTimesOutInsteadOfReturningPart() {
        let fake = FakeNetlinkTransport()
        let item = FakeNetlinkTransport.data(type: 16, payload: [UInt8](repeating: 0, count: 16), multi: true)
        fake.expect(FakeNetlinkTransport.datagram(item, item))
        assertError(try connection(fake).dump(request(), operation: "RTM_GETNEIGH", object: "bridge 3"),
                    "RTM_GETNEIGH bridge 3: no reply within 5000 ms (ETIMEDOUT)", errno: ETIMEDOUT)
    }

    /// A batch whose first messages were answered but whose ACK never came.
    func testBatchMissingItsFinalAckTimesOut() {
        let fake = FakeNetlinkTransport()
        fake.expect({ seq, port in FakeNetlinkTransport.ack()(seq &+ 1, port) })
        assertError(try connection(fake).batch(batch()), "BEGIN t: no reply within 5000 ms (ETIMEDOUT)", errno: ETIMEDOUT)
    }

    func testTheWaitIsTheCallersChoice() {
        let fake = FakeNetlinkTransport()
        fake.expectNoReply()
        let netlink = connection(fake, timeout: NetlinkTimeout(perReply: .milliseconds(250)))
        assertError(try netlink.get(request(), operation: "RTM_GETLINK", object: "eth0"),
                    "RTM_GETLINK eth0: no reply within 250 ms (ETIMEDOUT)", errno: ETIMEDOUT)
    }

    /// An agent's deadline shortens every wait that would run past it.
    func testADeadlineCutsTheWaitShortAndSaysSo() {
        let fake = FakeNetlinkTransport()
        fake.expectNoReply()
        let netlink = connection(fake, timeout: NetlinkTimeout(perReply: .seconds(30), deadline: .now - .seconds(1)))
        assertError(try netlink.get(request(), operation: "RTM_GETLINK", object: "eth0"),
                    "RTM_GETLINK eth0: no reply within 0 ms, all that was left before the deadline (ETIMEDOUT)", errno: ETIMEDOUT)
    }

    /// A deadline that has passed still lets an answer that is already there through.
    func testAPassedDeadlineStillTakesAQueuedAnswer() throws {
        let fake = FakeNetlinkTransport()
        fake.expect(FakeNetlinkTransport.ack())
        let netlink = connection(fake, timeout: NetlinkTimeout(perReply: .seconds(30), deadline: .now - .seconds(1)))
        XCTAssertNoThrow(try netlink.execute(request(16), operation: "RTM_NEWLINK"))
    }

    func testTimeoutArithmetic() {
        let start = ContinuousClock.now
        let plain = NetlinkTimeout.default.wait(from: start)
        XCTAssertEqual(plain.end, start + .seconds(5))
        XCTAssertFalse(plain.cutByDeadline)
        let budget = NetlinkTimeout.within(.seconds(18), from: start)
        XCTAssertEqual(budget.wait(from: start + .seconds(2)).end, start + .seconds(18))
        XCTAssertTrue(budget.wait(from: start + .seconds(2)).cutByDeadline)
        XCTAssertEqual(NetlinkTimeout.milliseconds(.microseconds(400)), 1, "rounded up")
        XCTAssertEqual(NetlinkTimeout.milliseconds(.seconds(-1)), 0)
        XCTAssertEqual(NetlinkTimeout.milliseconds(.seconds(5)), 5000)
    }

    // MARK: the socket

    func testLostReplyNamesTheOperation() {
        let fake = FakeNetlinkTransport()
        fake.expectReceiveFailure(ENOBUFS)
        assertError(try connection(fake).get(request(), operation: "RTM_GETLINK", object: "xenbr1"),
                    "RTM_GETLINK xenbr1: recvfrom: the socket's receive buffer overflowed and the reply was dropped (ENOBUFS)", errno: ENOBUFS)
    }

    func testFailedSendNamesTheOperation() {
        let fake = FakeNetlinkTransport()
        fake.expectSendFailure(EMSGSIZE)
        assertError(try connection(fake).batch(batch()), "BEGIN t: sendto: Message too long (EMSGSIZE)", errno: EMSGSIZE)
        fake.expectSendFailure(EINTR)
        assertError(try connection(fake).execute(request(16), operation: "RTM_NEWLINK", object: "br0"),
                    "RTM_NEWLINK br0: sendto: Interrupted system call (EINTR)", errno: EINTR)
    }

    // MARK: the real socket

    /// The kernel answers nothing to a message below NLMSG_MIN_TYPE without
    /// NLM_F_ACK: a reply that never comes, from the real kernel, no root.
    func testRealKernelSilenceEndsAtTheTimeout() throws {
        let netlink = try NetlinkConnection(bus: NetlinkConstants.route, timeout: NetlinkTimeout(perReply: .milliseconds(100)))
        let clock = ContinuousClock()
        let started = clock.now
        XCTAssertThrowsError(try netlink.get(NetlinkRequest(type: NetlinkConstants.noop, flags: 0), operation: "NLMSG_NOOP", object: "test")) { error in
            XCTAssertEqual("\(error)", "NLMSG_NOOP test: no reply within 100 ms (ETIMEDOUT)")
        }
        let waited = clock.now - started
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(100))
        XCTAssertLessThan(waited, .seconds(2))
        // The connection still works.
        var getlink = NetlinkRequest(type: 18, flags: 0)
        getlink.append(bytes: [UInt8](repeating: 0, count: 16))
        XCTAssertFalse(try netlink.dump(getlink, operation: "RTM_GETLINK").isEmpty)
    }

    /// Signals during the wait resume it with the time that remains: the
    /// wait neither ends early nor restarts from the beginning.
    func testSignalsDuringTheWaitNeitherEndNorExtendIt() throws {
        let socket = try NetlinkSocket(bus: NetlinkConstants.route)
        signal(SIGALRM) { _ in }
        var every = itimerval(it_interval: timeval(tv_sec: 0, tv_usec: 20_000), it_value: timeval(tv_sec: 0, tv_usec: 20_000))
        setitimer(Int32(ITIMER_REAL.rawValue), &every, nil)
        defer {
            var off = itimerval()
            setitimer(Int32(ITIMER_REAL.rawValue), &off, nil)
            signal(SIGALRM, SIG_IGN)
        }
        let clock = ContinuousClock()
        let started = clock.now
        XCTAssertNil(try socket.receive(deadline: started + .milliseconds(300)))
        let waited = clock.now - started
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(300))
        XCTAssertLessThan(waited, .milliseconds(1500), "not restarted in full on every signal")
    }

    // MARK: helpers

    /// Begin, two objects (the last asks for the ACK), end: as nf_tables batches are framed.
    func batch() -> [NetlinkConnection.BatchItem] {
        var last = request(0x0a03)
        last.flags |= NetlinkConstants.ack
        return [NetlinkConnection.BatchItem(request(0x10), operation: "BEGIN", object: "t"),
                NetlinkConnection.BatchItem(request(0x0a00), operation: "NEWTABLE", object: "t"),
                NetlinkConnection.BatchItem(last, operation: "NEWCHAIN", object: "t c"),
                NetlinkConnection.BatchItem(request(0x11), operation: "END", object: "t")]
    }
}
