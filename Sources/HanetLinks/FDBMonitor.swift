import Glibc
import CLinuxNet
import HanetNetlink

/// Subscribes to the bridges' forwarding-table events (RTMGRP_NEIGH,
/// AF_BRIDGE) in one namespace.
///
/// The bridge reports a learned entry when it appears and again when its
/// MAC moves to another port (`br_fdb_update`): exactly what an open host
/// watches to see its own guests' addresses arrive from an uplink, which
/// happens only when another host has the same guests open.
/// Equivalent to: `bridge monitor fdb`.
public final class FDBMonitor {
    private let socket: NetlinkSocket

    /// Asks for a 1 MiB receive buffer: a host that opens a thousand
    /// guests sees a burst of entries at once.
    public init(namespace: NetworkNamespace = .current) throws(NetlinkError) {
        socket = try NetlinkSocket(bus: NetlinkConstants.route, groups: UInt32(RTMGRP_NEIGH), namespace: namespace)
        socket.setReceiveBufferSize(1 << 20)
    }

    /// The socket's descriptor, for poll(2) next to others.
    public var fileDescriptor: Int32 { socket.fileDescriptor }

    /// The bridge entries reported since the last call (learned, moved or
    /// refreshed; deletions are not returned), without waiting. `overrun`
    /// is true when the kernel dropped notifications (ENOBUFS): a caller
    /// that must not miss one re-reads the tables.
    public func drain() throws -> (entries: [FDBEntry], overrun: Bool) {
        var entries: [FDBEntry] = []
        var overrun = false
        while try socket.waitReadable(timeoutMilliseconds: 0) {
            let received: Result<[UInt8], NetlinkError> = Result { () throws(NetlinkError) in try socket.receive() }
            switch received {
            case .success(let datagram):
                for message in try NetlinkMessage.split(datagram: datagram[...]) {
                    if let entry = try BridgeFDB.decode(message) { entries.append(entry) }
                }
            case .failure(let error):
                guard error.errno == ENOBUFS else { throw error }
                overrun = true
            }
        }
        return (entries, overrun)
    }
}
