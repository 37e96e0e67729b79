import HanetLinks

/// Guest MAC addresses this host has seen on its guest ports, and where.
///
/// A blocked host cannot learn its guests' addresses (the block drops their
/// frames before the bridge learns them), yet at unblock it must know them
/// to announce the guests to the switches. So at stop, just before blocking,
/// the bridge's learned guest-port entries are recorded under HA_RSCTMP
/// (only when announce > 0). Cleared by a reboot, like the guests.
public struct GuestMACRegistry {
    private let file: StateFile

    /// One registry per policy, next to the other state files.
    public init(stateDirectory: String, policyTag: String) {
        file = StateFile(directory: stateDirectory, name: "hanet-vhostnet-\(policyTag)-macs")
    }

    /// MAC -> port name it was last seen on.
    public func load() -> [MACAddress: String] {
        var result: [MACAddress: String] = [:]
        for (key, port) in (try? file.read()) ?? [:] {
            if let mac = try? MACAddress(parsing: key) { result[mac] = port }
        }
        return result
    }

    /// Merges new sightings; writes only when something changed, so the
    /// every-few-seconds monitor normally costs no disk write.
    public func record(_ sightings: [MACAddress: String]) {
        var known = load()
        var changed = false
        for (mac, port) in sightings where known[mac] != port {
            known[mac] = port
            changed = true
        }
        guard changed else { return }
        var values: [String: String] = [:]
        for (mac, port) in known { values[mac.description] = port }
        try? file.write(values)
    }
}
