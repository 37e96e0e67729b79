import Glibc
import HanetNetlink

/// A failure of the iptables-legacy backend (libiptc, or the arp_tables and
/// xtables-lock code that does the same job by hand).
///
/// One line carries what an administrator needs: the step (`iptc_commit`,
/// `ARPT_SO_SET_REPLACE`, `flock`), the table and family (`ip6 filter`), the
/// chain or file it was about, libiptc's own explanation (`iptc_strerror`,
/// which knows e.g. "Chain already exists") and the errno, so callers can
/// still branch on `EAGAIN` or `ENOENT` without parsing text.
public struct IPTablesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libiptc call or socket option that failed: `iptc_commit`, `ARPT_SO_GET_INFO`.
    public var operation: String
    /// `ip4 filter`, `ip6 filter`, `arp filter`, or nil when no table is involved.
    public var table: String?
    /// The chain, rule or file the operation was about.
    public var object: String?
    /// Positive errno value (0 when libiptc reported a version mismatch).
    public var errno: Int32
    /// libiptc's `iptc_strerror` text, or our own explanation.
    public var message: String?

    /// A failure of `operation`, with as much context as the caller has.
    public init(operation: String, table: String? = nil, object: String? = nil, errno: Int32, message: String? = nil) {
        self.operation = operation
        self.table = table
        self.object = object
        self.errno = errno
        self.message = message
    }

    /// `iptc_commit ip6 filter HANET-1a2b3c4d: Resource temporarily unavailable (EAGAIN)`
    public var description: String {
        Errno.failureLine([operation, table, object], errno: errno, message: message)
    }
}
