/// A change notification from the kernel's RTMGRP_LINK group.
public enum LinkEvent: Equatable, Sendable {
    /// A link appeared or changed (flags, carrier, master, bond state...).
    case changed(Link)
    /// A link was deleted (RTM_DELLINK); the value is its last state.
    case removed(Link)
    /// The kernel dropped events for us (ENOBUFS): state must be re-read
    /// with a dump, because what we missed is unknowable.
    case overrun
}
