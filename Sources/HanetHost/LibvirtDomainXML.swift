import HanetLinks

/// The network interfaces of one libvirt domain, read from libvirt's own
/// XML records (the persistent definition in /etc/libvirt/qemu and the
/// run-time state in /run/libvirt/qemu) without running `virsh`.
///
/// Not a general XML parser: a scanner that knows just enough XML
/// (comments, processing instructions, CDATA, quoted attributes,
/// self-closing tags) to find `<interface>` elements directly inside
/// `<devices>`, and in each the `<mac address=.../>` and `<target dev=.../>`.
/// The files are root's, but a record is still input: every malformed shape
/// (an unterminated tag, a bad MAC, absurd nesting or size) is an error
/// naming what is wrong, never a guess and never a crash.
public enum LibvirtDomainXML {
    /// One `<interface>` of the domain.
    public struct Interface: Equatable, Sendable {
        /// `<mac address='52:54:00:..'/>`; libvirt writes one into every definition.
        public var mac: MACAddress?
        /// `<target dev='vnet3'/>`: the host-side port while the domain runs.
        public var target: String?
    }

    /// A record the scanner refuses, and where.
    public struct Malformed: Error, Equatable, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var reason: String
        /// Byte offset where the scanner stopped.
        public var offset: Int
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Larger than any real domain record (a few KiB): refused, not scanned.
    public static let maximumSize = 4 << 20
    /// Deeper than libvirt ever nests.
    public static let maximumDepth = 64

    /// The interfaces directly inside `<devices>`, in document order.
    public static func interfaces(in bytes: [UInt8]) throws(Malformed) -> [Interface] {
        guard bytes.count <= maximumSize else {
            throw Malformed(reason: "record of \(bytes.count) bytes is larger than \(maximumSize)", offset: 0)
        }
        var stack: [String] = []
        var found: [Interface] = []
        var current: Interface?
        var index = 0
        while let open = bytes[index...].firstIndex(of: UInt8(ascii: "<")) {
            index = open
            if try skipMarkup(bytes, &index) { continue }
            let tag = try scanTag(bytes, &index)
            if tag.isEnd {
                guard stack.last == tag.name else {
                    throw Malformed(reason: "</\(tag.name)> does not close <\(stack.last ?? "nothing")>", offset: open)
                }
                stack.removeLast()
                if tag.name == "interface", stack.last == "devices", let done = current {
                    found.append(done)
                    current = nil
                }
                continue
            }
            let parent = stack.last
            if tag.name == "interface" && parent == "devices" {
                guard current == nil else { throw Malformed(reason: "<interface> inside <interface>", offset: open) }
                current = Interface()
                if tag.selfClosing { found.append(current!); current = nil }
            } else if current != nil && parent == "interface" && stack.dropLast().last == "devices" {
                if tag.name == "mac", let text = tag.attributes["address"] {
                    do { current?.mac = try MACAddress(parsing: text) } catch {
                        throw Malformed(reason: "<mac address='\(printable(text))'> is not a MAC address", offset: open)
                    }
                } else if tag.name == "target", let dev = tag.attributes["dev"] {
                    guard (try? InterfaceName(validating: dev)) != nil else {
                        throw Malformed(reason: "<target dev='\(printable(dev))'> is not an interface name", offset: open)
                    }
                    current?.target = dev
                }
            }
            if !tag.selfClosing {
                stack.append(tag.name)
                guard stack.count <= maximumDepth else { throw Malformed(reason: "nested deeper than \(maximumDepth)", offset: open) }
            }
        }
        guard stack.isEmpty else { throw Malformed(reason: "<\(stack.last!)> is never closed", offset: bytes.count) }
        return found
    }

    private struct Tag {
        var name: String
        var isEnd: Bool
        var selfClosing: Bool
        var attributes: [String: String]
    }

    /// Skips `<!-- -->`, `<? ?>`, `<![CDATA[ ]]>` and `<!DOCTYPE >`; false at a tag.
    private static func skipMarkup(_ bytes: [UInt8], _ index: inout Int) throws(Malformed) -> Bool {
        let start = index
        for (opening, closing) in [("<!--", "-->"), ("<?", "?>"), ("<![CDATA[", "]]>"), ("<!", ">")] {
            guard hasPrefix(bytes, at: index, Array(opening.utf8)) else { continue }
            guard let end = find(bytes, Array(closing.utf8), from: index + opening.utf8.count) else {
                throw Malformed(reason: "\(opening) is never closed by \(closing)", offset: start)
            }
            index = end + closing.utf8.count
            return true
        }
        return false
    }

    private static func scanTag(_ bytes: [UInt8], _ index: inout Int) throws(Malformed) -> Tag {
        let start = index
        index += 1
        var tag = Tag(name: "", isEnd: false, selfClosing: false, attributes: [:])
        if index < bytes.count && bytes[index] == UInt8(ascii: "/") { tag.isEnd = true; index += 1 }
        tag.name = name(bytes, &index)
        guard !tag.name.isEmpty else { throw Malformed(reason: "a tag without a name", offset: start) }
        while true {
            while index < bytes.count && isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { throw Malformed(reason: "<\(tag.name) is never closed", offset: start) }
            switch bytes[index] {
            case UInt8(ascii: ">"):
                index += 1
                return tag
            case UInt8(ascii: "/") where !tag.isEnd:
                guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ">") else {
                    throw Malformed(reason: "a stray '/' in <\(tag.name)>", offset: index)
                }
                tag.selfClosing = true
                index += 2
                return tag
            default:
                guard !tag.isEnd else { throw Malformed(reason: "attributes in </\(tag.name)>", offset: index) }
                let attribute = name(bytes, &index)
                guard !attribute.isEmpty, index + 1 < bytes.count, bytes[index] == UInt8(ascii: "="),
                      bytes[index + 1] == UInt8(ascii: "'") || bytes[index + 1] == UInt8(ascii: "\"") else {
                    throw Malformed(reason: "an attribute of <\(tag.name)> is not name='value'", offset: index)
                }
                let quote = bytes[index + 1]
                let valueStart = index + 2
                guard let valueEnd = bytes[valueStart...].firstIndex(of: quote) else {
                    throw Malformed(reason: "an attribute value of <\(tag.name)> is never closed", offset: index)
                }
                let value = bytes[valueStart..<valueEnd]
                guard !value.contains(UInt8(ascii: "<")) else {
                    throw Malformed(reason: "'<' inside an attribute value of <\(tag.name)>", offset: valueStart)
                }
                guard tag.attributes[attribute] == nil else {
                    throw Malformed(reason: "attribute \(attribute) twice in <\(tag.name)>", offset: index)
                }
                tag.attributes[attribute] = String(decoding: value, as: UTF8.self)
                index = valueEnd + 1
            }
        }
    }

    /// An XML name as far as libvirt uses them: letters, digits, `-_.:`.
    private static func name(_ bytes: [UInt8], _ index: inout Int) -> String {
        let start = index
        while index < bytes.count, index - start < 64 {
            let byte = bytes[index]
            let isNameByte = (0x61...0x7a).contains(byte) || (0x41...0x5a).contains(byte) || (0x30...0x39).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
            guard isNameByte else { break }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }

    private static func hasPrefix(_ bytes: [UInt8], at index: Int, _ prefix: [UInt8]) -> Bool {
        index + prefix.count <= bytes.count && bytes[index..<index + prefix.count].elementsEqual(prefix)
    }

    private static func find(_ bytes: [UInt8], _ needle: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0] && hasPrefix(bytes, at: index, needle) { return index }
            index += 1
        }
        return nil
    }

    /// At most 40 printable ASCII bytes of hostile text, for an error line.
    private static func printable(_ text: String) -> String {
        String(decoding: text.utf8.prefix(40).map { (0x20..<0x7f).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
