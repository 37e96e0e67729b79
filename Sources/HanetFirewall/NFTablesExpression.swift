import HanetNetlink

/// One nf_tables expression of a rule, as far as hanet needs to read it.
///
/// The block is written with three expression types only (`meta` load,
/// `cmp`, `immediate` verdict). Anything else found in our chains when
/// reading back (a counter someone added, a jump) decodes as `.other`, which
/// never equals a rendered expression, so `inspect` reports it.
public enum NFTablesExpression: Equatable, Sendable, CustomStringConvertible {
    /// `[ meta load <key> => reg <destination> ]`
    case meta(key: UInt32, destination: UInt32)
    /// `[ cmp <operation> reg <source> <data> ]`
    case compare(source: UInt32, operation: UInt32, data: [UInt8])
    /// `[ immediate reg 0 <verdict> ]` (accept, drop, ...)
    case verdict(Int32)
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
        case .other(let name, _):
            return "[ \(name) ]"
        }
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
        return "0x" + data.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
