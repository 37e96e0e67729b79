import HanetHost
import HanetFirewall

/// Which role the cluster gave this host's vhostnet instance, as recorded by
/// the last start, promote or demote.
///
/// The firewall says whether the guests are open; only this record says
/// whether they should be. Monitor needs both: open guests are right on the
/// promoted instance and a vanished block on an unpromoted one. The record
/// lives under HA_RSCTMP (a tmpfs), so a reboot clears it with everything
/// else: a host comes back as nothing, never as promoted.
struct VhostNetRole {
    enum Role: String {
        case promoted, unpromoted
    }

    private let file: StateFile

    init(stateDirectory: String, policy: GuestBlockPolicy) {
        file = StateFile(directory: stateDirectory, name: "hanet-vhostnet-\(policy.ownerTag)-role")
    }

    /// nil: no instance started here (or it was stopped).
    func current() throws -> Role? {
        try file.read()["role"].flatMap(Role.init(rawValue:))
    }

    /// Recorded before the change it announces: a promote killed halfway
    /// leaves "promoted" with the guests still blocked, which monitor
    /// reports as a failed promoted instance, and Pacemaker recovers it.
    func record(_ role: Role?) throws {
        try file.update { $0["role"] = role?.rawValue }
    }
}
