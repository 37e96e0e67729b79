import Glibc
import CLinuxNet
import HanetNetlink

/// nf_tables change notifications (NFNLGRP_NFTABLES), one per transaction.
///
/// The kernel announces every committed transaction: its object messages
/// (tables, chains, rules...) followed by NFT_MSG_NEWGEN, which names the
/// process that committed it. That is what lets the guard restore a removed
/// block within milliseconds and log who removed it.
public final class NFTablesChangeMonitor {
    /// One committed transaction as seen from the notifications.
    public struct Transaction: Equatable, Sendable {
        /// Some message named `table` (bridge family).
        public var touchedTable: Bool
        /// What was done to it, e.g. "DELTABLE", "DELRULE x3".
        public var operations: [String]
        /// `NFTA_GEN_PROC_PID`: the process that committed; nil if the kernel did not say.
        public var processID: UInt32?
        /// `NFTA_GEN_PROC_NAME`: its command name (`nft`); nil if the kernel did not say.
        public var processName: String?
    }

    /// What `next` returns.
    public enum Event: Equatable, Sendable {
        /// A committed transaction, whether or not it touched our table (`touchedTable`).
        case transaction(Transaction)
        /// Notifications were lost (ENOBUFS): the state must be re-read.
        case overrun
    }

    private let socket: NetlinkSocket
    private var parser: NFTablesChangeParser
    private var queued: [Event] = []

    /// Joins `NFNLGRP_NFTABLES` in `namespace` and watches the bridge-family
    /// table `table`. Equivalent to: `nft monitor`.
    public init(table: String, namespace: NetworkNamespace = .current) throws(NetlinkError) {
        parser = NFTablesChangeParser(table: table)
        socket = try NetlinkSocket(bus: NetlinkConstants.netfilter, namespace: namespace)
        try socket.join(group: UInt32(NFNLGRP_NFTABLES.rawValue))
        socket.setReceiveBufferSize(4 << 20)
    }

    /// For poll(2) together with other descriptors.
    public var fileDescriptor: Int32 { socket.fileDescriptor }

    /// The next transaction, or nil after `timeoutMilliseconds` (-1: wait).
    public func next(timeoutMilliseconds: Int32 = -1) throws -> Event? {
        while queued.isEmpty {
            guard try socket.waitReadable(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
            let received: Result<[UInt8], NetlinkError> = Result { () throws(NetlinkError) in try socket.receive() }
            guard case .success(let datagram) = received else {
                if case .failure(let error) = received, error.errno != ENOBUFS { throw error }
                parser.reset()
                return .overrun
            }
            for message in try NetlinkMessage.split(datagram: datagram[...]) {
                if let transaction = try parser.absorb(message) { queued.append(.transaction(transaction)) }
            }
        }
        return queued.removeFirst()
    }
}

/// The notification parsing apart from the socket: the messages of one
/// transaction in, the transaction out at its NFT_MSG_NEWGEN (fuzzed in
/// fuzz/, so it must throw on anything malformed, never trap).
struct NFTablesChangeParser {
    typealias Transaction = NFTablesChangeMonitor.Transaction
    let table: String
    private var pending = Transaction(touchedTable: false, operations: [])

    init(table: String) { self.table = table }

    /// Forgets a half-seen transaction (after lost notifications).
    mutating func reset() { pending = Transaction(touchedTable: false, operations: []) }

    /// The finished transaction when `message` is its NFT_MSG_NEWGEN.
    mutating func absorb(_ message: NetlinkMessage) throws -> Transaction? {
        guard message.type >> 8 == UInt16(NFNL_SUBSYS_NFTABLES) else { return nil }
        let kind = UInt32(message.type & 0xff)
        let attributes = try message.attributes(after: 4, context: "nf_tables event")
        if kind == NFT_MSG_NEWGEN.rawValue {
            pending.processID = try attributes[UInt16(NFTA_GEN_PROC_PID.rawValue)]?.bigEndianU32()
            pending.processName = try attributes[UInt16(NFTA_GEN_PROC_NAME.rawValue)]?.string()
            defer { reset() }
            return pending
        }
        // Table, chain, rule, set... messages all carry the table name as
        // attribute 1 (NFTA_TABLE_NAME / NFTA_CHAIN_TABLE / NFTA_RULE_TABLE ...).
        guard message.payload.first == UInt8(NFPROTO_BRIDGE),
              let name = try attributes[1]?.string(), name == table else { return nil }
        pending.touchedTable = true
        let operation = Self.name(kind)
        // "DELRULE x3": the same operation again; "message 10" is not "message 1" again.
        if let last = pending.operations.last, last == operation || last.hasPrefix(operation + " x") {
            let count = (last.split(separator: "x").last.flatMap { Int($0) } ?? 1) + 1
            pending.operations[pending.operations.count - 1] = "\(operation) x\(count)"
        } else {
            pending.operations.append(operation)
        }
        return nil
    }

    static func name(_ kind: UInt32) -> String {
        switch kind {
        case NFT_MSG_NEWTABLE.rawValue: return "NEWTABLE"
        case NFT_MSG_DELTABLE.rawValue: return "DELTABLE"
        case NFT_MSG_NEWCHAIN.rawValue: return "NEWCHAIN"
        case NFT_MSG_DELCHAIN.rawValue: return "DELCHAIN"
        case NFT_MSG_NEWRULE.rawValue: return "NEWRULE"
        case NFT_MSG_DELRULE.rawValue: return "DELRULE"
        default: return "message \(kind)"
        }
    }
}
