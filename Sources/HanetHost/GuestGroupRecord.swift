import Glibc
import HanetLinks
import HanetFirewall

/// What one vhostnet resource (one guest group) selects on this host,
/// recorded under HA_RSCTMP so the other groups' agents can refuse an
/// overlap naming both resources.
///
/// Each resource already owns its own table, guard and records (all named
/// from its policy's owner tag); this record only adds the Pacemaker
/// resource name, and is read through `StateFile`, which refuses a file or
/// directory another local user could have written. A record whose owner
/// tag equals ours is the same group under another name (a renamed
/// resource): not an overlap.
public struct GuestGroupRecord: Equatable, Sendable {
    /// The Pacemaker resource (without a clone's `:N`), or the LSB name.
    public var resource: String
    /// What it selects.
    public var policy: GuestBlockPolicy

    static let filePrefix = "vhostnet-group-"

    /// The record's file name for `resource` (for messages: remove a deleted resource's).
    public static func fileName(_ resource: String) -> String {
        StateFile(directory: "", name: filePrefix + resourceName(resource)).path.dropFirst().description
    }

    public init(resource: String, policy: GuestBlockPolicy) {
        self.resource = Self.resourceName(resource)
        self.policy = policy
    }

    /// A clone instance's name without its `:N` suffix: all instances are one group.
    public static func resourceName(_ instance: String) -> String {
        guard let colon = instance.lastIndex(of: ":"), instance[instance.index(after: colon)...].allSatisfy(\.isNumber) else {
            return instance
        }
        return String(instance[..<colon])
    }

    /// Records this group (before the block it describes is changed).
    public func write(stateDirectory: String) throws(HostError) {
        let p = policy
        try StateFile(directory: stateDirectory, name: Self.filePrefix + resource).write([
            "resource": resource, "tag": p.ownerTag,
            "bridges": p.bridges.map(\.value).joined(separator: " "),
            "ports": p.guestPorts.map(\.description).joined(separator: " "),
            "exempt": p.exemptPorts.map(\.description).joined(separator: " "),
            "macs": p.guestMACs.map(\.description).joined(separator: " "),
            "domains": p.guestDomains.joined(separator: " "),
            "domain_macs": p.domainMACs.map(\.description).joined(separator: " "),
        ])
    }

    /// The first other group on this host that overlaps this one: its
    /// resource and why; nil when none does. Records that do not parse are
    /// skipped (an older agent's, a torn write cannot happen: writes are atomic).
    public func firstConflict(stateDirectory: String) throws(HostError) -> (resource: String, reason: String)? {
        for name in try Self.recordNames(in: stateDirectory) {
            let values = try StateFile(directory: stateDirectory, name: name).read()
            guard let other = Self.parse(values), other.resource != resource, other.policy.ownerTag != policy.ownerTag else { continue }
            if let reason = policy.overlap(with: other.policy) { return (other.resource, reason) }
        }
        return nil
    }

    static func recordNames(in directory: String) throws(HostError) -> [String] {
        try StateDirectory.verify(directory)
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw HostError.stateFile(directory, errno: errno, doing: "list the directory of a")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(filePrefix) && name.hasSuffix(".state") { names.append(String(name.dropLast(".state".count))) }
        }
        return names.sorted()
    }

    static func parse(_ values: [String: String]) -> GuestGroupRecord? {
        func list(_ key: String) -> [String] { (values[key] ?? "").split(separator: " ").map(String.init) }
        guard let resource = values["resource"], !resource.isEmpty else { return nil }
        do {
            let policy = GuestBlockPolicy(
                bridges: try list("bridges").map { text throws in try InterfaceName(validating: text) },
                guestPorts: try list("ports").map { text throws in try PortPattern(parsing: text) },
                exemptPorts: try list("exempt").map { text throws in try PortPattern(parsing: text) },
                guestMACs: try list("macs").map { text throws in try MACPrefix(parsing: text) },
                guestDomains: list("domains"),
                domainMACs: try list("domain_macs").map { text throws in try MACPrefix(parsing: text) })
            return GuestGroupRecord(resource: resource, policy: policy)
        } catch {
            return nil
        }
    }
}
