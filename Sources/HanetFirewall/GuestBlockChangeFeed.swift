/// An outside change to a policy's firewall objects, as the kernel reports it.
public enum GuestBlockChange: Equatable, Sendable {
    /// Another process committed a change to our objects: who, and what
    /// (`nft (pid 4711) changed the table: DELTABLE`).
    case changed(String)
    /// Notifications were lost; the state must be re-read.
    case lost
}

/// Change notifications for one policy's objects, readable with poll(2).
///
/// Changes made by the reading process itself are left out, so a guard
/// that restores the block does not wake itself up.
public protocol GuestBlockChangeFeed: AnyObject {
    /// Readable (for poll(2)) when `next` may have something; lets one loop
    /// wait on the feed and on other descriptors.
    var fileDescriptor: Int32 { get }
    /// The next outside change, or nil after `timeoutMilliseconds` (-1: wait).
    func next(timeoutMilliseconds: Int32) throws -> GuestBlockChange?
}
