import Glibc
import HanetNetlink

/// nf_tables notifications for one policy's table, as a `GuestBlockChangeFeed`.
final class NFTablesChangeFeed: GuestBlockChangeFeed {
    private let monitor: NFTablesChangeMonitor
    private let me = UInt32(getpid())

    init(table: String, namespace: NetworkNamespace) throws(NetlinkError) {
        monitor = try NFTablesChangeMonitor(table: table, namespace: namespace)
    }

    var fileDescriptor: Int32 { monitor.fileDescriptor }

    func next(timeoutMilliseconds: Int32) throws -> GuestBlockChange? {
        while let event = try monitor.next(timeoutMilliseconds: timeoutMilliseconds) {
            switch event {
            case .transaction(let t) where t.touchedTable && t.processID != me:
                let who = "\(t.processName ?? "unknown process") (pid \(t.processID.map(String.init) ?? "?"))"
                return .changed("\(who) changed the table: " + t.operations.joined(separator: ", "))
            case .overrun:
                return .lost
            default:
                continue
            }
        }
        return nil
    }
}
