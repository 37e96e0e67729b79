import HanetNetlink
import HanetLinks

/// One nf_tables expression of a rule, as far as hanet needs to read it.
///
/// The block is written with five expression types only (`meta` load,
/// `payload` load and `bitwise` mask for MACs, `cmp`, `immediate` verdict). Anything else found in our chains when
/// reading back (a counter someone added, a jump) decodes as `.other`, which
/// never equals a rendered expression, so `inspect` reports it.
public enum NFTablesExpression: Equatable, Sendable, CustomStringConvertible {
    /// `[ meta load <key> => reg <destination> ]`
    case meta(key: UInt32, destination: UInt32)
    /// `[ cmp <operation> reg <source> <data> ]`
    case compare(source: UInt32, operation: UInt32, data: [UInt8])
    /// `[ immediate reg 0 <verdict> ]` (accept, drop, ...)
    case verdict(Int32)
    /// `[ payload load <length>b @ <base> + <offset> => reg <destination> ]`
    case payload(base: UInt32, offset: UInt32, length: UInt32, destination: UInt32)
    /// `[ bitwise reg <destination> = ( reg <source> & <mask> ) ^ <xor> ]`
    case bitwise(source: UInt32, destination: UInt32, mask: [UInt8], xor: [UInt8])
    /// An expression of another type (or a shape we do not render), by name.
    case other(name: String, data: [UInt8])

    // MARK: encoding (the bytes nft 1.0.6 / libnftnl send)

    /// Appends this expression as one NFTA_LIST_ELEM.
    func encode(into request: inout NetlinkRequest) {
        typealias K = NFTablesConstants
        request.nest(K.listElement) { element in
            switch self {
            case .meta(let key, let destination):
                element.attribute(K.expressionName, string: "meta")
                element.nest(K.expressionData) { data in
                    data.attribute(K.metaKey, bigEndian: key)
                    data.attribute(K.metaDestination, bigEndian: destination)
                }
            case .compare(let source, let operation, let value):
                element.attribute(K.expressionName, string: "cmp")
                element.nest(K.expressionData) { data in
                    data.attribute(K.cmpSource, bigEndian: source)
                    data.attribute(K.cmpOperation, bigEndian: operation)
                    data.nest(K.cmpData) { $0.attribute(K.dataValue, bytes: value) }
                }
            case .verdict(let code):
                element.attribute(K.expressionName, string: "immediate")
                element.nest(K.expressionData) { data in
                    data.attribute(K.immediateDestination, bigEndian: K.registerVerdict)
                    data.nest(K.immediateData) { immediate in
                        immediate.nest(K.dataVerdict) { $0.attribute(K.verdictCode, bigEndian: UInt32(bitPattern: code)) }
                    }
                }
            case .payload(let base, let offset, let length, let destination):
                element.attribute(K.expressionName, string: "payload")
                element.nest(K.expressionData) { data in
                    data.attribute(K.payloadDestination, bigEndian: destination)
                    data.attribute(K.payloadBase, bigEndian: base)
                    data.attribute(K.payloadOffset, bigEndian: offset)
                    data.attribute(K.payloadLength, bigEndian: length)
                }
            case .bitwise(let source, let destination, let mask, let xor):
                element.attribute(K.expressionName, string: "bitwise")
                element.nest(K.expressionData) { data in
                    data.attribute(K.bitwiseSource, bigEndian: source)
                    data.attribute(K.bitwiseDestination, bigEndian: destination)
                    data.attribute(K.bitwiseLength, bigEndian: UInt32(mask.count))
                    data.nest(K.bitwiseMask) { $0.attribute(K.dataValue, bytes: mask) }
                    data.nest(K.bitwiseXor) { $0.attribute(K.dataValue, bytes: xor) }
                }
            case .other(let name, let raw):
                element.attribute(K.expressionName, string: name)
                element.nest(K.expressionData) { $0.append(bytes: raw) }
            }
        }
    }

    // MARK: decoding (what the kernel dumps back)

    /// Decodes one NFTA_LIST_ELEM. Attributes the kernel adds that we do not
    /// write are ignored; missing or malformed ones throw.
    static func decode(_ element: NetlinkAttributes.Attribute) throws(NetlinkDecodeError) -> NFTablesExpression {
        typealias K = NFTablesConstants
        let attributes = try element.nested()
        guard let nameAttribute = attributes[K.expressionName] else {
            throw NetlinkDecodeError("nf_tables expression", "missing NFTA_EXPR_NAME")
        }
        let name = try nameAttribute.string()
        let rawData = attributes[K.expressionData]
        let data = try rawData?.nested() ?? NetlinkAttributes()
        // Built only for an error: a monitor decodes dozens of expressions.
        var context: String { "nf_tables expression \(name)" }
        switch name {
        case "meta":
            guard let key = data[K.metaKey], let destination = data[K.metaDestination], data[K.metaSource] == nil else { break }
            return .meta(key: try key.bigEndianU32(), destination: try destination.bigEndianU32())
        case "cmp":
            guard let source = data[K.cmpSource], let operation = data[K.cmpOperation], let value = data[K.cmpData] else { break }
            let valueAttributes = try value.nested()
            guard let bytes = valueAttributes[K.dataValue] else {
                throw NetlinkDecodeError(context, "NFTA_CMP_DATA without NFTA_DATA_VALUE")
            }
            guard bytes.value.count <= 64 else {
                throw NetlinkDecodeError(context, "NFTA_DATA_VALUE of \(bytes.value.count) bytes is oversized")
            }
            return .compare(source: try source.bigEndianU32(), operation: try operation.bigEndianU32(), data: bytes.bytes)
        case "payload":
            guard let destination = data[K.payloadDestination], let base = data[K.payloadBase],
                  let offset = data[K.payloadOffset], let length = data[K.payloadLength], data[K.payloadSource] == nil else { break }
            return .payload(base: try base.bigEndianU32(), offset: try offset.bigEndianU32(),
                            length: try length.bigEndianU32(), destination: try destination.bigEndianU32())
        case "bitwise":
            guard let source = data[K.bitwiseSource], let destination = data[K.bitwiseDestination],
                  let mask = data[K.bitwiseMask], let xor = data[K.bitwiseXor] else { break }
            // A shift (NFT_BITWISE_LSHIFT/RSHIFT) is not something we render.
            if let operation = data[K.bitwiseOperation], try operation.bigEndianU32() != 0 { break }
            guard let maskBytes = try mask.nested()[K.dataValue], let xorBytes = try xor.nested()[K.dataValue] else {
                throw NetlinkDecodeError(context, "NFTA_BITWISE_MASK or XOR without NFTA_DATA_VALUE")
            }
            guard maskBytes.value.count <= 64, xorBytes.value.count <= 64 else {
                throw NetlinkDecodeError(context, "NFTA_DATA_VALUE of \(max(maskBytes.value.count, xorBytes.value.count)) bytes is oversized")
            }
            return .bitwise(source: try source.bigEndianU32(), destination: try destination.bigEndianU32(),
                            mask: maskBytes.bytes, xor: xorBytes.bytes)
        case "immediate":
            guard let destination = data[K.immediateDestination], let value = data[K.immediateData],
                  try destination.bigEndianU32() == K.registerVerdict else { break }
            guard let verdict = try value.nested()[K.dataVerdict] else { break }
            let verdictAttributes = try verdict.nested()
            guard let code = verdictAttributes[K.verdictCode] else {
                throw NetlinkDecodeError(context, "verdict without NFTA_VERDICT_CODE")
            }
            // A jump/goto carries a chain name: not something we render.
            guard verdictAttributes[K.verdictChain] == nil else { break }
            return .verdict(Int32(bitPattern: try code.bigEndianU32()))
        default:
            break
        }
        return .other(name: name, data: rawData?.bytes ?? [])
    }

    // MARK: reading aloud

    /// nft-like text for one expression on its own (`--debug=netlink` style).
    public var description: String {
        switch self {
        case .meta(let key, let destination):
            return "[ meta load \(Self.metaKeyName(key)) => reg \(destination) ]"
        case .compare(let source, let operation, let data):
            let op = operation == NFTablesConstants.cmpEqual ? "eq" : operation == NFTablesConstants.cmpNotEqual ? "neq" : "op\(operation)"
            return "[ cmp \(op) reg \(source) \(Self.quoted(data)) ]"
        case .verdict(let code):
            return "[ immediate reg 0 \(Self.verdictName(code)) ]"
        case .payload(let base, let offset, let length, let destination):
            let baseName = base == NFTablesConstants.payloadLinkLayer ? "link header" : "base \(base)"
            return "[ payload load \(length)b @ \(baseName) + \(offset) => reg \(destination) ]"
        case .bitwise(let source, let destination, let mask, let xor):
            return "[ bitwise reg \(destination) = ( reg \(source) & \(Self.hex(mask)) ) ^ \(Self.hex(xor)) ]"
        case .other(let name, _):
            return "[ \(name) ]"
        }
    }

    /// `ether saddr 52:54:00:12:34:56` or `ether daddr 00:16:3e:00:00:00/24`
    /// for the shapes `NFTablesRuleset.macMatch` renders, with how many
    /// expressions it used; nil for any other shape.
    static func describeMAC(_ expressions: ArraySlice<NFTablesExpression>) -> (text: String, used: Int)? {
        guard let first = expressions.first,
              case .payload(let base, let offset, let length, let register) = first,
              base == NFTablesConstants.payloadLinkLayer, length >= 1, length <= 6,
              offset == NFTablesConstants.etherSourceOffset || offset == NFTablesConstants.etherDestinationOffset else { return nil }
        let field = offset == NFTablesConstants.etherSourceOffset ? "ether saddr" : "ether daddr"
        let rest = expressions.dropFirst()
        var mask = [UInt8](repeating: 0xff, count: Int(length))
        var used = 1
        if case .bitwise(let source, let destination, let bits, let xor)? = rest.first {
            guard source == register, destination == register, bits.count == Int(length), xor.allSatisfy({ $0 == 0 }) else { return nil }
            mask = bits
            used += 1
        }
        guard case .compare(let source, let operation, let data)? = rest.dropFirst(used - 1).first,
              source == register, operation == NFTablesConstants.cmpEqual, data.count == Int(length) else { return nil }
        let address = data + [UInt8](repeating: 0, count: 6 - data.count)
        let prefixBits = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        guard let mac = MACAddress(bytes: address) else { return nil }
        let text = prefixBits == 48 ? "\(field) \(mac)" : "\(field) \(mac)/\(prefixBits)"
        return (text, used + 1)
    }

    static func hex(_ data: [UInt8]) -> String {
        "0x" + data.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// nft syntax for a whole rule: `meta ibrname "br0" iifname "vif*" drop`.
    /// Falls back to the per-expression form for shapes nft would print differently.
    static func describe(_ expressions: [NFTablesExpression]) -> String {
        var words: [String] = []
        var index = 0
        while index < expressions.count {
            if index + 1 < expressions.count,
               case .meta(let key, let register) = expressions[index],
               case .compare(let source, let operation, let data) = expressions[index + 1],
               source == register, operation == NFTablesConstants.cmpEqual,
               let keyword = metaKeyword(key) {
                words.append("\(keyword) \"\(interfacePattern(data))\"")
                index += 2
                continue
            }
            if let mac = describeMAC(expressions[index...]) {
                words.append(mac.text)
                index += mac.used
                continue
            }
            if case .verdict(let code) = expressions[index] {
                words.append(verdictName(code))
            } else {
                words.append(expressions[index].description)
            }
            index += 1
        }
        return words.joined(separator: " ")
    }

    static func metaKeyword(_ key: UInt32) -> String? {
        switch key {
        case NFTablesConstants.metaInputName: return "iifname"
        case NFTablesConstants.metaOutputName: return "oifname"
        case NFTablesConstants.metaBridgeInputName: return "meta ibrname"
        case NFTablesConstants.metaBridgeOutputName: return "meta obrname"
        default: return nil
        }
    }

    static func metaKeyName(_ key: UInt32) -> String {
        switch key {
        case NFTablesConstants.metaInputName: return "iifname"
        case NFTablesConstants.metaOutputName: return "oifname"
        case NFTablesConstants.metaBridgeInputName: return "bri_iifname"
        case NFTablesConstants.metaBridgeOutputName: return "bri_oifname"
        default: return "key \(key)"
        }
    }

    static func verdictName(_ code: Int32) -> String {
        switch code {
        case NFTablesConstants.verdictAccept: return "accept"
        case NFTablesConstants.verdictDrop: return "drop"
        case -1: return "continue"
        case -2: return "break"
        case -3: return "jump"
        case -4: return "goto"
        case -5: return "return"
        default: return "verdict \(code)"
        }
    }

    /// An interface name compare as nft prints it: a full IFNAMSIZ buffer
    /// is an exact name, a shorter one without NUL a prefix (`vif*`).
    static func interfacePattern(_ data: [UInt8]) -> String {
        if let nul = data.firstIndex(of: 0) {
            return String(decoding: data[..<nul], as: UTF8.self)
        }
        return String(decoding: data, as: UTF8.self) + "*"
    }

    static func quoted(_ data: [UInt8]) -> String {
        let printable = data.allSatisfy { $0 == 0 || (0x20..<0x7f).contains($0) }
        if printable { return "\"\(interfacePattern(data))\"" }
        return hex(data)
    }
}
