import CLinuxNet

/// nf_tables and nfnetlink constants, normalised to the widths the wire uses.
///
/// The uapi enums import as structs (`.rawValue` is `UInt32`), the
/// `#define`s as `Int32`; converting them once here keeps the encoders free
/// of casts and makes every number greppable by its kernel name.
enum NFTablesConstants {
    // nfnetlink framing
    static let subsystem = UInt16(NFNL_SUBSYS_NFTABLES)
    static let batchBegin = UInt16(NFNL_MSG_BATCH_BEGIN)
    static let batchEnd = UInt16(NFNL_MSG_BATCH_END)
    /// Attribute of the batch begin message: the ruleset generation the
    /// batch was written for. Kernels that know it check it; older ones
    /// never parsed attributes of the batch begin and ignore it.
    static let batchGenerationID = UInt16(NFNL_BATCH_GENID.rawValue)
    static let version = UInt8(NFNETLINK_V0)
    static let familyUnspecified = UInt8(AF_UNSPEC)
    static let familyBridge = UInt8(NFPROTO_BRIDGE)

    // Message types within the subsystem (nlmsg_type = subsystem << 8 | type).
    static let newTable = UInt16(NFT_MSG_NEWTABLE.rawValue)
    static let getTable = UInt16(NFT_MSG_GETTABLE.rawValue)
    static let delTable = UInt16(NFT_MSG_DELTABLE.rawValue)
    static let newChain = UInt16(NFT_MSG_NEWCHAIN.rawValue)
    static let getChain = UInt16(NFT_MSG_GETCHAIN.rawValue)
    static let newRule = UInt16(NFT_MSG_NEWRULE.rawValue)
    static let getRule = UInt16(NFT_MSG_GETRULE.rawValue)
    static let newGen = UInt16(NFT_MSG_NEWGEN.rawValue)
    static let getGen = UInt16(NFT_MSG_GETGEN.rawValue)

    // Tables
    static let tableName = UInt16(NFTA_TABLE_NAME.rawValue)
    static let tableFlags = UInt16(NFTA_TABLE_FLAGS.rawValue)
    static let tableUse = UInt16(NFTA_TABLE_USE.rawValue)
    static let tableUserdata = UInt16(NFTA_TABLE_USERDATA.rawValue)
    static let tableFlagDormant = UInt32(NFT_TABLE_F_DORMANT.rawValue)

    // Chains
    static let chainTable = UInt16(NFTA_CHAIN_TABLE.rawValue)
    static let chainName = UInt16(NFTA_CHAIN_NAME.rawValue)
    static let chainHook = UInt16(NFTA_CHAIN_HOOK.rawValue)
    static let chainPolicy = UInt16(NFTA_CHAIN_POLICY.rawValue)
    static let chainType = UInt16(NFTA_CHAIN_TYPE.rawValue)
    static let chainFlags = UInt16(NFTA_CHAIN_FLAGS.rawValue)
    static let hookNumber = UInt16(NFTA_HOOK_HOOKNUM.rawValue)
    static let hookPriority = UInt16(NFTA_HOOK_PRIORITY.rawValue)
    static let hookDevice = UInt16(NFTA_HOOK_DEV.rawValue)
    static let hookDevices = UInt16(NFTA_HOOK_DEVS.rawValue)

    // Rules and expressions
    static let ruleTable = UInt16(NFTA_RULE_TABLE.rawValue)
    static let ruleChain = UInt16(NFTA_RULE_CHAIN.rawValue)
    static let ruleExpressions = UInt16(NFTA_RULE_EXPRESSIONS.rawValue)
    static let listElement = UInt16(NFTA_LIST_ELEM.rawValue)
    static let expressionName = UInt16(NFTA_EXPR_NAME.rawValue)
    static let expressionData = UInt16(NFTA_EXPR_DATA.rawValue)

    static let metaDestination = UInt16(NFTA_META_DREG.rawValue)
    static let metaKey = UInt16(NFTA_META_KEY.rawValue)
    static let metaSource = UInt16(NFTA_META_SREG.rawValue)
    static let cmpSource = UInt16(NFTA_CMP_SREG.rawValue)
    static let cmpOperation = UInt16(NFTA_CMP_OP.rawValue)
    static let cmpData = UInt16(NFTA_CMP_DATA.rawValue)
    static let immediateDestination = UInt16(NFTA_IMMEDIATE_DREG.rawValue)
    static let immediateData = UInt16(NFTA_IMMEDIATE_DATA.rawValue)
    static let dataValue = UInt16(NFTA_DATA_VALUE.rawValue)
    static let dataVerdict = UInt16(NFTA_DATA_VERDICT.rawValue)
    static let verdictCode = UInt16(NFTA_VERDICT_CODE.rawValue)
    static let verdictChain = UInt16(NFTA_VERDICT_CHAIN.rawValue)

    static let payloadDestination = UInt16(NFTA_PAYLOAD_DREG.rawValue)
    static let payloadBase = UInt16(NFTA_PAYLOAD_BASE.rawValue)
    static let payloadOffset = UInt16(NFTA_PAYLOAD_OFFSET.rawValue)
    static let payloadLength = UInt16(NFTA_PAYLOAD_LEN.rawValue)
    static let payloadSource = UInt16(NFTA_PAYLOAD_SREG.rawValue)
    static let bitwiseSource = UInt16(NFTA_BITWISE_SREG.rawValue)
    static let bitwiseDestination = UInt16(NFTA_BITWISE_DREG.rawValue)
    static let bitwiseLength = UInt16(NFTA_BITWISE_LEN.rawValue)
    static let bitwiseMask = UInt16(NFTA_BITWISE_MASK.rawValue)
    static let bitwiseXor = UInt16(NFTA_BITWISE_XOR.rawValue)
    /// NFTA_BITWISE_OP (Linux 5.6+): absent or NFT_BITWISE_BOOL (0) is the mask-and-xor we render.
    static let bitwiseOperation = UInt16(NFTA_BITWISE_OP.rawValue)

    static let genID = UInt16(NFTA_GEN_ID.rawValue)

    // Values
    static let registerVerdict = UInt32(NFT_REG_VERDICT.rawValue)
    static let register1 = UInt32(NFT_REG_1.rawValue)
    static let cmpEqual = UInt32(NFT_CMP_EQ.rawValue)
    static let cmpNotEqual = UInt32(NFT_CMP_NEQ.rawValue)
    static let metaInputName = UInt32(NFT_META_IIFNAME.rawValue)
    static let metaOutputName = UInt32(NFT_META_OIFNAME.rawValue)
    static let metaBridgeInputName = UInt32(NFT_META_BRI_IIFNAME.rawValue)
    static let metaBridgeOutputName = UInt32(NFT_META_BRI_OIFNAME.rawValue)
    /// NFT_PAYLOAD_LL_HEADER: offsets from the Ethernet header.
    static let payloadLinkLayer = UInt32(NFT_PAYLOAD_LL_HEADER.rawValue)
    /// `ether daddr` and `ether saddr`: offsets 0 and 6, six bytes each.
    static let etherDestinationOffset: UInt32 = 0
    static let etherSourceOffset: UInt32 = 6
    static let verdictAccept = Int32(NF_ACCEPT)
    static let verdictDrop = Int32(NF_DROP)
    /// Bridge hooks (linux/netfilter_bridge.h, not in the shim): NF_BR_PRE_ROUTING
    /// and NF_BR_POST_ROUTING share their numbers with the inet hooks.
    /// Spelled out: with CIPTC also imported, libiptc's headers hide the
    /// `nf_inet_hooks` names in whole-module (release) builds. These are
    /// kernel ABI (NF_BR_PRE_ROUTING = 0, NF_BR_POST_ROUTING = 4).
    static let hookPrerouting: UInt32 = 0
    static let hookPostrouting: UInt32 = 4

    /// nftnl userdata TLV type of a table comment (NFTNL_UDATA_TABLE_COMMENT).
    static let userdataTableComment: UInt8 = 0
    static let userdataMaxLength = Int(NFT_USERDATA_MAXLEN)
    static let nameMaxLength = Int(NFT_NAME_MAXLEN)
    static let interfaceNameSize = Int(IFNAMSIZ)

    /// `nlmsg_type` of an nf_tables message.
    static func messageType(_ type: UInt16) -> UInt16 { subsystem << 8 | type }

    /// Spelling used in errors: `NFT_MSG_NEWRULE`.
    static func operationName(_ type: UInt16) -> String {
        switch type {
        case newTable: return "NFT_MSG_NEWTABLE"
        case getTable: return "NFT_MSG_GETTABLE"
        case delTable: return "NFT_MSG_DELTABLE"
        case newChain: return "NFT_MSG_NEWCHAIN"
        case getChain: return "NFT_MSG_GETCHAIN"
        case newRule: return "NFT_MSG_NEWRULE"
        case getRule: return "NFT_MSG_GETRULE"
        case getGen: return "NFT_MSG_GETGEN"
        case newGen: return "NFT_MSG_NEWGEN"
        default: return "NFT_MSG_\(type)"
        }
    }
}
