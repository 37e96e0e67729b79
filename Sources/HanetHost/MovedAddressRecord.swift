import Glibc
import CLinuxNet
import HanetLinks

/// The addresses and routes a bridge resource moves from its uplink to the
/// bridge, as kept in its state record *before* the first of them moves:
/// an agent killed halfway leaves a list the next start or stop replays
/// (each step tolerates "already done"), and stop moves back exactly these
/// and nothing else.
///
/// One line per list (state records are `key=value` lines): items are
/// separated by `;`, an item is `word value` pairs, addresses in `ip`'s
/// text form. Devices are not recorded: the item says what, the caller
/// says from where to where.
public struct MovedAddressRecord: Equatable, Sendable {
    public var addresses: [InterfaceAddress] = []
    /// Per address, the label's suffix after the device name (`:1` of
    /// `bond0:1`), or nil; same order as `addresses`.
    public var labelSuffixes: [String?] = []
    public var routes: [Route] = []

    static let addressesKey = "moved_addresses"
    static let routesKey = "moved_routes"

    public init() {}

    public var isEmpty: Bool { addresses.isEmpty && routes.isEmpty }

    /// What `record` holds; items it cannot read are dropped (a record is
    /// only ever written by this type, under a directory only root writes).
    public init(record: [String: String]) {
        for item in Self.items(record[Self.addressesKey]) {
            guard let (address, suffix) = Self.address(item) else { continue }
            addresses.append(address)
            labelSuffixes.append(suffix)
        }
        routes = Self.items(record[Self.routesKey]).compactMap(Self.route)
    }

    /// Writes both lists into `record` (removing the keys when empty).
    public func store(into record: inout [String: String]) {
        let a = zip(addresses, labelSuffixes).map { Self.text($0, labelSuffix: $1) }
        record[Self.addressesKey] = a.isEmpty ? nil : a.joined(separator: ";")
        record[Self.routesKey] = routes.isEmpty ? nil : routes.map(Self.text).joined(separator: ";")
    }

    /// Adds what is not in the lists yet; true when something was added.
    @discardableResult
    public mutating func merge(addresses new: [InterfaceAddress], labelSuffixes suffixes: [String?], routes newRoutes: [Route]) -> Bool {
        var changed = false
        for (address, suffix) in zip(new, suffixes) where !addresses.contains(where: { $0.sameAddress(as: address) }) {
            var kept = address
            kept.interfaceIndex = 0
            addresses.append(kept)
            labelSuffixes.append(suffix)
            changed = true
        }
        for route in newRoutes where !routes.contains(where: { $0.sameRoute(as: route) }) {
            var kept = route
            kept.outputIndex = nil
            kept.flags &= Route.requestableFlags
            routes.append(kept)
            changed = true
        }
        return changed
    }

    // MARK: text

    static func items(_ line: String?) -> [[String: String]] {
        guard let line, !line.isEmpty else { return [] }
        return line.split(separator: ";").map { item in
            let words = item.split(separator: " ").map(String.init)
            var pairs: [String: String] = [:]
            var i = 0
            while i + 1 < words.count {
                pairs[words[i]] = words[i + 1]
                i += 2
            }
            return pairs
        }
    }

    static func text(_ a: InterfaceAddress, labelSuffix: String?) -> String {
        var words = [a.family == AF_INET ? "inet" : "inet6", Route.text(a.bytes, a.family), "len", "\(a.prefixLength)",
                     "scope", "\(a.scope)", "flags", "\(a.flags)"]
        if let peer = a.peer { words += ["peer", Route.text(peer, a.family)] }
        if let broadcast = a.broadcast { words += ["brd", Route.text(broadcast, a.family)] }
        if let labelSuffix { words += ["label", labelSuffix] }
        if let v = a.validLifetime { words += ["valid", "\(v)"] }
        if let v = a.preferredLifetime { words += ["preferred", "\(v)"] }
        if let v = a.routePriority { words += ["metric", "\(v)"] }
        return words.joined(separator: " ")
    }

    static func address(_ w: [String: String]) -> (InterfaceAddress, String?)? {
        let family = w["inet"] != nil ? AF_INET : AF_INET6
        guard let bytes = parse(w["inet"] ?? w["inet6"], family), let length = w["len"].flatMap(UInt8.init) else { return nil }
        var a = InterfaceAddress(interfaceIndex: 0, family: family, bytes: bytes, prefixLength: length,
                                 scope: w["scope"].flatMap(UInt8.init) ?? 0, flags: w["flags"].flatMap(UInt32.init) ?? 0)
        a.peer = parse(w["peer"], family)
        a.broadcast = parse(w["brd"], family)
        a.validLifetime = w["valid"].flatMap(UInt32.init)
        a.preferredLifetime = w["preferred"].flatMap(UInt32.init)
        a.routePriority = w["metric"].flatMap(UInt32.init)
        return (a, w["label"])
    }

    static func text(_ r: Route) -> String {
        var words = [r.family == AF_INET ? "inet" : "inet6", Route.text(r.destination, r.family), "len", "\(r.destinationLength)",
                     "tos", "\(r.tos)", "table", "\(r.table)", "proto", "\(r.protocol)", "scope", "\(r.scope)",
                     "type", "\(r.type)", "flags", "\(r.flags & Route.requestableFlags)"]
        if let g = r.gateway { words += ["via", Route.text(g, r.family)] }
        if let s = r.preferredSource { words += ["src", Route.text(s, r.family)] }
        if let p = r.priority { words += ["metric", "\(p)"] }
        if let m = r.metrics { words += ["metrics", m.map { String($0, radix: 16).leftPadded(2) }.joined()] }
        if let p = r.preference { words += ["pref", "\(p)"] }
        return words.joined(separator: " ")
    }

    static func route(_ w: [String: String]) -> Route? {
        let family = w["inet"] != nil ? AF_INET : AF_INET6
        guard let destination = parse(w["inet"] ?? w["inet6"], family), let length = w["len"].flatMap(UInt8.init) else { return nil }
        var r = Route(family: family, destination: destination, destinationLength: length)
        r.tos = w["tos"].flatMap(UInt8.init) ?? 0
        r.table = w["table"].flatMap(UInt32.init) ?? r.table
        r.protocol = w["proto"].flatMap(UInt8.init) ?? r.protocol
        r.scope = w["scope"].flatMap(UInt8.init) ?? r.scope
        r.type = w["type"].flatMap(UInt8.init) ?? r.type
        r.flags = w["flags"].flatMap(UInt32.init) ?? 0
        r.gateway = parse(w["via"], family)
        r.preferredSource = parse(w["src"], family)
        r.priority = w["metric"].flatMap(UInt32.init)
        if let hex = w["metrics"], hex.count % 2 == 0 {
            let digits = Array(hex.utf8)
            r.metrics = stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16) }
        }
        r.preference = w["pref"].flatMap(UInt8.init)
        return r
    }

    static func parse(_ text: String?, _ family: Int32) -> [UInt8]? {
        guard let text else { return nil }
        var bytes = [UInt8](repeating: 0, count: family == AF_INET ? 4 : 16)
        return inet_pton(family, text, &bytes) == 1 ? bytes : nil
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
