/// Where the sentinel learns whether this node belongs to the quorate
/// partition of its cluster: corosync's quorum service
/// (`CorosyncQuorum`), or a recording in tests.
///
/// A boundary of its own so the decision (`QuorumWatch`) runs the same
/// against corosync and against a script of quorum changes.
public protocol QuorumSource: AnyObject {
    /// Readable when a quorum change (or the end of the connection) is pending.
    var fileDescriptor: Int32 { get }
    /// This node's quorum as of the last `dispatch()`.
    var quorate: Bool { get }
    /// Handles what is pending; false once the connection to the cluster
    /// stack is gone (corosync stopped or crashed).
    func dispatch() -> Bool
}
