import XCTest
import Glibc
import HanetNetlink
import HanetLinks
import HanetFirewall
@testable import HanetHost
import HanetTesting

/// The host logic when the kernel misbehaves, one request at a time, through
/// the scripted fake: each fault must end in an error that names the request
/// (asserted as text), with the host consistent afterwards: what the failed
/// start did is rolled back, and the ownership record is as before, or keeps
/// exactly what the kernel could not be asked about, for stop to act on.
final class KernelFaultTests: XCTestCase {
    private var directory = ""
    private var fake = FakeNetlinkTransport()
    private var logged: [String] = []

    override func setUpWithError() throws {
        var template = Array("/tmp/hanet-faults-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        XCTAssertTrue(made)
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fake = FakeNetlinkTransport()
        logged = []
    }

    override func tearDown() {
        if let entries = opendir(directory) {
            while let entry = readdir(entries) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink(directory + "/" + name) }
            }
            closedir(entries)
        }
        rmdir(directory)
    }

    // MARK: BridgeAttachment.start

    private var record: StateFile { StateFile(directory: directory, name: "hanet-bridge-xenbr1") }

    private func attachment() -> BridgeAttachment {
        BridgeAttachment(configuration: BridgeConfiguration(bridge: "xenbr1", uplink: "eth1"),
                         links: LinkManager(connection: NetlinkConnection(transport: fake, firstSequence: 1)),
                         stateDirectory: directory, log: { self.logged.append($0) })
    }

    /// A start that creates xenbr1 and gets as far as enslaving eth1.
    private func scriptStartUpToTheEnslave() {
        fake.expect(FakeNetlinkTransport.error(ENODEV))                       // RTM_GETLINK xenbr1: absent
        fake.expect(KernelLinks.eth1())                                       // RTM_GETLINK eth1: its MAC
        fake.expect(FakeNetlinkTransport.ack())                               // RTM_NEWLINK xenbr1 (create)
        fake.expect(FakeNetlinkTransport.ack())                               // RTM_NEWLINK xenbr1 alias
        fake.expect(KernelLinks.xenbr1())                                     // RTM_GETLINK xenbr1
        fake.expect(KernelLinks.eth1())                                       // RTM_GETLINK eth1
        fake.expect(KernelLinks.xenbr1())                                     // RTM_GETLINK xenbr1 (master lookup)
    }

    /// The last request was RTM_DELLINK: the created bridge was deleted.
    private func assertBridgeDeleted(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fake.sent.last.map { UInt16($0[4]) | UInt16($0[5]) << 8 }, 17, "RTM_DELLINK last", file: file, line: line)
        XCTAssertTrue(logged.contains("rolled back: deleted xenbr1"), "\(logged)", file: file, line: line)
    }

    /// The kernel refuses the enslave with ENOBUFS, EINTR, EBUSY, EAGAIN.
    func testRefusedEnslaveRollsBackAndLeavesNoRecord() {
        for code in [ENOBUFS, EINTR, EBUSY, EAGAIN] {
            fake = FakeNetlinkTransport()
            scriptStartUpToTheEnslave()
            fake.expect(FakeNetlinkTransport.error(code, message: "injected"))  // RTM_NEWLINK eth1 master xenbr1
            fake.expect(FakeNetlinkTransport.ack())                            // rollback: RTM_DELLINK xenbr1
            XCTAssertThrowsError(try attachment().start(validating: false)) { error in
                XCTAssertEqual("\(error)", "RTM_NEWLINK eth1: injected (\(Errno.name(code)))")
            }
            assertBridgeDeleted()
            XCTAssertEqual(try record.read(), [:], "\(Errno.name(code)): the record is as before")
            XCTAssertFalse(FileManagerless.exists(record.path))
        }
    }

    /// A fault after a confirmed enslave (bringing the bridge up): eth1 is
    /// detached, then the bridge deleted, as before bounded waits.
    func testRefusalAfterTheEnslaveDetachesThenDeletes() {
        scriptStartUpToTheEnslave()
        fake.expect(FakeNetlinkTransport.ack())                               // RTM_NEWLINK eth1 master xenbr1
        fake.expect(FakeNetlinkTransport.error(EAGAIN))                       // RTM_NEWLINK xenbr1 up
        fake.expect(FakeNetlinkTransport.ack())                               // rollback: eth1 nomaster
        fake.expect(FakeNetlinkTransport.ack())                               // rollback: RTM_DELLINK xenbr1
        XCTAssertThrowsError(try attachment().start(validating: false)) { error in
            XCTAssertEqual("\(error)", "RTM_NEWLINK xenbr1: Resource temporarily unavailable (EAGAIN)")
        }
        assertBridgeDeleted()
        XCTAssertEqual(logged, ["rolled back: detached eth1", "rolled back: deleted xenbr1"])
        XCTAssertEqual(try record.read(), [:])
    }

    /// The enslave's answer never comes (ETIMEDOUT) or is dropped (ENOBUFS
    /// on the socket): the outcome is unknown, but deleting the created
    /// bridge releases eth1 either way.
    func testUnansweredEnslaveRollsBackAndLeavesNoRecord() {
        let faults: [(String, (FakeNetlinkTransport) -> Void)] = [
            ("RTM_NEWLINK eth1: no reply within 5000 ms (ETIMEDOUT)", { $0.expectNoReply() }),
            ("RTM_NEWLINK eth1: recvfrom: the socket's receive buffer overflowed and the reply was dropped (ENOBUFS)", { $0.expectReceiveFailure(ENOBUFS) }),
        ]
        for (text, fault) in faults {
            fake = FakeNetlinkTransport()
            scriptStartUpToTheEnslave()
            fault(fake)
            fake.expect(FakeNetlinkTransport.ack())
            XCTAssertThrowsError(try attachment().start(validating: false)) { XCTAssertEqual("\($0)", text) }
            assertBridgeDeleted()
            XCTAssertEqual(try record.read(), [:])
        }
    }

    /// The create's answer never comes: the bridge may exist. Rollback asks
    /// the kernel by deleting it; either answer settles the record.
    func testUnansweredCreateIsRolledBackWhateverTheKernelDid() {
        for (deleteAnswer, deleted) in [(FakeNetlinkTransport.ack(), true), (FakeNetlinkTransport.error(ENODEV), false)] {
            fake = FakeNetlinkTransport()
            logged = []
            fake.expect(FakeNetlinkTransport.error(ENODEV))
            fake.expect(KernelLinks.eth1())
            fake.expectNoReply()                                              // RTM_NEWLINK xenbr1 (create)
            fake.expect(deleteAnswer)                                         // rollback: RTM_DELLINK xenbr1
            XCTAssertThrowsError(try attachment().start(validating: false)) { error in
                XCTAssertEqual("\(error)", "RTM_NEWLINK xenbr1: no reply within 5000 ms (ETIMEDOUT)")
            }
            XCTAssertEqual(try record.read(), [:])
            XCTAssertEqual(logged.contains("rolled back: deleted xenbr1"), deleted)
        }
    }

    /// The rollback's own delete goes unanswered: the record keeps "created"
    /// (stop deletes what it says), nothing else; eth1, which the kernel did
    /// attach, is detached.
    func testRollbackThatCannotDeleteKeepsOnlyWhatTheKernelWasNotAskedAbout() throws {
        scriptStartUpToTheEnslave()
        fake.expectNoReply()                                                  // RTM_NEWLINK eth1 master xenbr1
        fake.expectNoReply()                                                  // rollback: RTM_DELLINK xenbr1
        fake.expect(KernelLinks.eth1(master: 7))                              // is eth1 a port? yes
        fake.expect(KernelLinks.xenbr1())
        fake.expect(FakeNetlinkTransport.ack())                               // RTM_NEWLINK eth1 nomaster
        XCTAssertThrowsError(try attachment().start(validating: false)) { error in
            XCTAssertEqual("\(error)", "RTM_NEWLINK eth1: no reply within 5000 ms (ETIMEDOUT)")
        }
        XCTAssertEqual(try record.read(), ["created": "1"])
        XCTAssertTrue(logged.contains("rolled back: detached eth1"), "\(logged)")
    }

    /// A reply cut mid-message, and one whose attribute runs past it: decode
    /// errors naming the request, then the same rollback.
    func testMalformedRepliesAreErrorsAndRollBack() {
        let cases: [(FakeNetlinkTransport.Reply, String)] = [
            (FakeNetlinkTransport.truncated(KernelLinks.xenbr1(), to: 40),
             "malformed netlink data in RTM_GETLINK xenbr1 reply: nlmsghdr length 96 runs past the datagram (40 bytes left)"),
            (KernelLinks.xenbr1(corruptName: true),
             "malformed netlink data in RTM_NEWLINK: attribute 3 of length 255 runs past its buffer (64 bytes left)"),
        ]
        for (reply, text) in cases {
            fake = FakeNetlinkTransport()
            logged = []
            fake.expect(FakeNetlinkTransport.error(ENODEV))
            fake.expect(KernelLinks.eth1())
            fake.expect(FakeNetlinkTransport.ack())
            fake.expect(FakeNetlinkTransport.ack())
            fake.expect(reply)                                                // RTM_GETLINK xenbr1
            fake.expect(FakeNetlinkTransport.ack())                           // rollback: RTM_DELLINK xenbr1
            XCTAssertThrowsError(try attachment().start(validating: false)) { XCTAssertEqual("\($0)", text) }
            assertBridgeDeleted()
            XCTAssertEqual(try record.read(), [:])
        }
    }

    /// validate's link dump never settles: an error, and nothing changed.
    func testValidateWithADumpInterruptedEveryTimeChangesNothing() {
        for _ in 0..<NetlinkConnection.dumpAttempts {
            fake.expect(FakeNetlinkTransport.dumpInterrupted(FakeNetlinkTransport.datagram(KernelLinks.eth1(multi: true), FakeNetlinkTransport.done())))
        }
        XCTAssertThrowsError(try attachment().start()) { error in
            XCTAssertEqual("\(error)", "RTM_GETLINK: dump interrupted 5 times by concurrent changes (EINTR)")
        }
        XCTAssertEqual(fake.sent.count, 5, "dumps only")
        XCTAssertFalse(FileManagerless.exists(record.path))
    }

    // MARK: GuestIsolation

    private func isolation(route: FakeNetlinkTransport = FakeNetlinkTransport()) -> GuestIsolation {
        var configuration = VhostNetConfiguration(policy: GuestBlockPolicy(bridges: ["xenbr1"], guestPorts: [try! PortPattern(parsing: "vif*")]))
        configuration.announce = 0
        let backend = NFTablesBackend(connection: NetlinkConnection(transport: fake, firstSequence: 100))
        return GuestIsolation(configuration: configuration, backend: backend, backendReason: "test",
                              openRoute: { NetlinkConnection(transport: route, firstSequence: 1) }, stateDirectory: directory)
    }

    private var table: String {
        NFTablesBackend.tableName(for: GuestBlockPolicy(bridges: ["xenbr1"], guestPorts: [try! PortPattern(parsing: "vif*")]))
    }

    /// stop = block: the batch is never answered.
    func testBlockWhoseBatchIsNeverAnsweredIsAnError() {
        fake.expect(KernelTables.generation(7))                               // NFT_MSG_GETGEN
        fake.expect(FakeNetlinkTransport.error(ENOENT))                       // NFT_MSG_GETTABLE: none
        fake.expectNoReply()                                                  // the block batch
        XCTAssertThrowsError(try isolation().stop()) { error in
            XCTAssertEqual("\(error)", "NFNL_MSG_BATCH_BEGIN bridge \(table): no reply within 5000 ms (ETIMEDOUT)")
        }
    }

    /// monitor: an unanswered read is an error, never a verdict.
    func testHealthWhoseReadIsNeverAnsweredIsAnErrorNotAVerdict() {
        fake.expectNoReply()
        XCTAssertThrowsError(try isolation().health()) { error in
            XCTAssertEqual("\(error)", "NFT_MSG_GETTABLE bridge \(table): no reply within 5000 ms (ETIMEDOUT)")
        }
    }

    /// start = unblock: the block is gone, then the bridge lookup's answer
    /// is dropped; the error says which request lost it.
    func testUnblockWhoseBridgeLookupIsDroppedNamesIt() {
        fake.expect(KernelTables.generation(7))
        fake.expect(FakeNetlinkTransport.error(ENOENT))                       // no table: nothing to switch
        fake.expect({ seq, port in FakeNetlinkTransport.error(ENOENT)(seq &+ 1, port) })  // DELTABLE: none
        let route = FakeNetlinkTransport()
        route.expectReceiveFailure(ENOBUFS)
        XCTAssertThrowsError(try isolation(route: route).start(validating: false)) { error in
            XCTAssertEqual("\(error)", "RTM_GETLINK xenbr1: recvfrom: the socket's receive buffer overflowed and the reply was dropped (ENOBUFS)")
        }
    }
}

/// File existence without Foundation's FileManager.
enum FileManagerless {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}

/// RTM_NEWLINK replies as the kernel shapes them, for the two links these tests use.
enum KernelLinks {
    static func link(_ name: String, index: Int32, kind: String?, mac: [UInt8], up: Bool, master: Int32? = nil,
                     multi: Bool = false, corruptName: Bool = false) -> FakeNetlinkTransport.Reply {
        var message = NetlinkRequest(type: 16, flags: 0)
        let flags: UInt32 = 0x2 | 0x1000 | (up ? 0x1 | 0x40 | 0x10000 : 0)  // BROADCAST MULTICAST [UP RUNNING LOWER_UP]
        message.append(bytes: [0, 0, 1, 0] + withUnsafeBytes(of: index) { Array($0) } + withUnsafeBytes(of: flags) { Array($0) } + [0, 0, 0, 0])
        message.attribute(3, string: name)                                    // IFLA_IFNAME
        message.attribute(1, bytes: mac)                                      // IFLA_ADDRESS
        message.attribute(4, u32: 1500)                                       // IFLA_MTU
        message.attribute(16, u8: up ? 6 : 2)                                 // IFLA_OPERSTATE
        message.attribute(33, u8: up ? 1 : 0)                                 // IFLA_CARRIER
        if let master { message.attribute(10, u32: UInt32(bitPattern: master)) }
        if let kind { message.nest(18, flagged: false) { $0.attribute(1, unterminated: kind) } }
        var payload = message.payload
        if corruptName { payload[16] = 0xff }                                 // IFLA_IFNAME's length
        return FakeNetlinkTransport.data(type: 16, payload: payload, multi: multi)
    }

    static func xenbr1(corruptName: Bool = false) -> FakeNetlinkTransport.Reply {
        link("xenbr1", index: 7, kind: "bridge", mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56], up: false, corruptName: corruptName)
    }

    static func eth1(master: Int32? = nil, multi: Bool = false) -> FakeNetlinkTransport.Reply {
        link("eth1", index: 2, kind: nil, mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56], up: true, master: master, multi: multi)
    }
}

/// nf_tables replies the backend needs before it writes.
enum KernelTables {
    /// NFT_MSG_NEWGEN: res_id and NFTA_GEN_ID carry the generation.
    static func generation(_ id: UInt32) -> FakeNetlinkTransport.Reply {
        var message = NetlinkRequest(type: 0x0a0f, flags: 0)
        message.append(bytes: [0, 0, UInt8(id >> 8 & 0xff), UInt8(id & 0xff)])
        message.attribute(1, bigEndian: id)
        return FakeNetlinkTransport.data(type: 0x0a0f, payload: message.payload)
    }
}
