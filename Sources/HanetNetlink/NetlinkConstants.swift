import CLinuxNet

/// Netlink constants normalised to the integer widths the wire uses.
///
/// C `#define`s import as `Int32` and anonymous enums as `Int`; converting
/// them in one place keeps the rest of the code free of casts.
public enum NetlinkConstants {
    public static let nlaFlagNested: UInt16 = UInt16(NLA_F_NESTED)
    public static let nlaFlagNetByteOrder: UInt16 = UInt16(NLA_F_NET_BYTEORDER)
    public static let nlaTypeMask: UInt16 = ~(UInt16(NLA_F_NESTED) | UInt16(NLA_F_NET_BYTEORDER))

    // nlmsghdr.nlmsg_flags
    public static let request = UInt16(NLM_F_REQUEST)
    public static let multi = UInt16(NLM_F_MULTI)
    public static let ack = UInt16(NLM_F_ACK)
    public static let echo = UInt16(NLM_F_ECHO)
    public static let dumpInterrupted = UInt16(NLM_F_DUMP_INTR)
    public static let root = UInt16(NLM_F_ROOT)
    public static let match = UInt16(NLM_F_MATCH)
    public static let dump = UInt16(NLM_F_DUMP)
    public static let replace = UInt16(NLM_F_REPLACE)
    public static let excl = UInt16(NLM_F_EXCL)
    public static let create = UInt16(NLM_F_CREATE)
    public static let append = UInt16(NLM_F_APPEND)
    public static let capped = UInt16(NLM_F_CAPPED)
    public static let ackTLVs = UInt16(NLM_F_ACK_TLVS)
    public static let nonrec = UInt16(NLM_F_NONREC)

    // nlmsghdr.nlmsg_type control messages
    public static let noop = UInt16(NLMSG_NOOP)
    public static let error = UInt16(NLMSG_ERROR)
    public static let done = UInt16(NLMSG_DONE)
    public static let overrun = UInt16(NLMSG_OVERRUN)

    // nlmsgerr TLVs
    public static let errAttrMessage = UInt16(NLMSGERR_ATTR_MSG.rawValue)
    public static let errAttrOffset = UInt16(NLMSGERR_ATTR_OFFS.rawValue)

    // Buses
    public static let route = Int32(NETLINK_ROUTE)
    public static let netfilter = Int32(NETLINK_NETFILTER)
}
