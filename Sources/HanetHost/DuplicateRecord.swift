import Glibc
import HanetLinks

/// What the sentinel of an open host concluded when it saw its guests'
/// twins online or lost quorum, kept under HA_RSCTMP for the agent's
/// monitor and promote.
///
/// The sentinel is a process of its own; the agent learns of a finding
/// only through this record. A reboot clears it with HA_RSCTMP.
public struct DuplicateRecord: Sendable {
    /// How the host answered.
    public enum Decision: String, Sendable {
        /// It had opened after the other host: it blocked its guests again.
        case yielded
        /// It had been open longer: it stayed open and announced its guests.
        case kept
        /// This node lost quorum (or its connection to corosync): it
        /// blocked its guests without waiting for Pacemaker.
        case quorumLost = "quorum-lost"
    }

    public struct Entry: Equatable, Sendable {
        public var decision: Decision
        public var macs: [MACAddress]
        public var uplink: String
        /// Seconds since the epoch.
        public var seen: Int
        /// A yielded host does not open again before this (seconds since the epoch).
        public var holdUntil: Int

        public var description: String {
            let when = "\(max(0, Self.now() - seen)) s ago"
            switch decision {
            case .yielded:
                return "yielded \(when): guest MAC(s) \(macs.map(\.description).joined(separator: " ")) arrived on uplink \(uplink), another host has these guests open"
            case .kept:
                return "kept the guests open \(when): guest MAC(s) \(macs.map(\.description).joined(separator: " ")) arrived on uplink \(uplink), another host opened them too"
            case .quorumLost:
                return "lost quorum \(when) and blocked its guests (quorum_block)"
            }
        }

        static func now() -> Int { Int(time(nil)) }
    }

    private let file: StateFile

    public init(stateDirectory: String, policyTag: String) {
        file = StateFile(directory: stateDirectory, name: "hanet-vhostnet-\(policyTag)-duplicate")
    }

    public func read() -> Entry? {
        guard let values = try? file.read(), let decision = values["decision"].flatMap(Decision.init(rawValue:)) else { return nil }
        let macs = (values["macs"] ?? "").split(separator: " ").compactMap { try? MACAddress(parsing: String($0)) }
        return Entry(decision: decision, macs: macs, uplink: values["uplink"] ?? "?",
                     seen: Int(values["seen"] ?? "") ?? 0, holdUntil: Int(values["hold_until"] ?? "") ?? 0)
    }

    public func write(_ entry: Entry) throws(HostError) {
        try file.write(["decision": entry.decision.rawValue, "macs": entry.macs.map(\.description).joined(separator: " "),
                        "uplink": entry.uplink, "seen": String(entry.seen), "hold_until": String(entry.holdUntil)])
    }

    public func clear() { file.remove() }

    /// Whether a yield still holds this host back from opening, and until when.
    public func holdsBack() -> Entry? {
        guard let entry = read(), entry.decision == .yielded, Entry.now() < entry.holdUntil else { return nil }
        return entry
    }
}
