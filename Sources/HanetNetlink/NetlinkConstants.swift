import CLinuxNet

/// Netlink constants normalised to the integer widths the wire uses.
///
/// C `#define`s import as `Int32` and anonymous enums as `Int`; converting
/// them in one place keeps the rest of the code free of casts.
public enum NetlinkConstants {
    /// `NLA_F_NESTED`: set in an attribute's type when its payload is a nest
    /// (nf_tables requires it; older rtnetlink nests go without).
    public static let nlaFlagNested: UInt16 = UInt16(NLA_F_NESTED)
    /// `NLA_F_NET_BYTEORDER`: set in an attribute's type when its payload is in network byte order.
    public static let nlaFlagNetByteOrder: UInt16 = UInt16(NLA_F_NET_BYTEORDER)
    /// `NLA_TYPE_MASK`: clears both flags from an attribute's type field.
    public static let nlaTypeMask: UInt16 = ~(UInt16(NLA_F_NESTED) | UInt16(NLA_F_NET_BYTEORDER))

    // nlmsghdr.nlmsg_flags
    /// `NLM_F_REQUEST`: set on every message sent to the kernel.
    public static let request = UInt16(NLM_F_REQUEST)
    /// `NLM_F_MULTI`: one part of a multipart reply (a dump), ended by `NLMSG_DONE`.
    public static let multi = UInt16(NLM_F_MULTI)
    /// `NLM_F_ACK`: asks for an `NLMSG_ERROR` with error 0 when the request succeeds.
    public static let ack = UInt16(NLM_F_ACK)
    /// `NLM_F_ECHO`: asks the kernel to send the resulting notification back to the requester too.
    public static let echo = UInt16(NLM_F_ECHO)
    /// `NLM_F_DUMP_INTR`: the objects changed while the dump ran; its replies may be inconsistent.
    public static let dumpInterrupted = UInt16(NLM_F_DUMP_INTR)
    /// `NLM_F_ROOT` (get requests): return the whole table, not one entry.
    public static let root = UInt16(NLM_F_ROOT)
    /// `NLM_F_MATCH` (get requests): return every entry that matches.
    public static let match = UInt16(NLM_F_MATCH)
    /// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`): a dump request.
    public static let dump = UInt16(NLM_F_DUMP)
    /// `NLM_F_REPLACE` (new requests): replace an existing object.
    public static let replace = UInt16(NLM_F_REPLACE)
    /// `NLM_F_EXCL` (new requests): fail with `EEXIST` if the object exists, as `ip link add` does.
    public static let excl = UInt16(NLM_F_EXCL)
    /// `NLM_F_CREATE` (new requests): create the object if it does not exist.
    public static let create = UInt16(NLM_F_CREATE)
    /// `NLM_F_APPEND` (new requests): add at the end of the list (nf_tables rules).
    public static let append = UInt16(NLM_F_APPEND)
    /// `NLM_F_CAPPED` (on an `NLMSG_ERROR`): the echoed request was cut to its
    /// header, as `NETLINK_CAP_ACK` asks.
    public static let capped = UInt16(NLM_F_CAPPED)
    /// `NLM_F_ACK_TLVS` (on an `NLMSG_ERROR`): extended-ACK attributes follow the echoed request.
    public static let ackTLVs = UInt16(NLM_F_ACK_TLVS)
    /// `NLM_F_NONREC` (delete requests): delete only an empty object; nf_tables
    /// answers `EBUSY` otherwise.
    public static let nonrec = UInt16(NLM_F_NONREC)

    // nlmsghdr.nlmsg_type control messages
    /// `NLMSG_NOOP`: carries nothing; skipped.
    public static let noop = UInt16(NLMSG_NOOP)
    /// `NLMSG_ERROR`: an ACK (error 0) or a failure (a negative errno), followed
    /// by the request's header and, with extended ACKs, the kernel's reason.
    public static let error = UInt16(NLMSG_ERROR)
    /// `NLMSG_DONE`: ends a dump; carries a negative errno if the dump failed.
    public static let done = UInt16(NLMSG_DONE)
    /// `NLMSG_OVERRUN`: data was lost; skipped.
    public static let overrun = UInt16(NLMSG_OVERRUN)

    // nlmsgerr TLVs
    /// `NLMSGERR_ATTR_MSG`: the extended ACK's text ("Device can not be enslaved while up").
    public static let errAttrMessage = UInt16(NLMSGERR_ATTR_MSG.rawValue)
    /// `NLMSGERR_ATTR_OFFS`: the byte offset of the offending attribute in the request.
    public static let errAttrOffset = UInt16(NLMSGERR_ATTR_OFFS.rawValue)

    // Buses
    /// `NETLINK_ROUTE`: rtnetlink (links, neighbours and bridge forwarding entries).
    public static let route = Int32(NETLINK_ROUTE)
    /// `NETLINK_NETFILTER`: nfnetlink, which carries nf_tables.
    public static let netfilter = Int32(NETLINK_NETFILTER)
}
