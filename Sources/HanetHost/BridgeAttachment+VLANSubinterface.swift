import Glibc
import HanetLinks
import HanetNetlink

/// An uplink that is a VLAN sub-interface on any device (`vlan_id`): made
/// by start when absent, deleted by stop only if this resource made it.
/// An existing `<parent>.<id>` (the bond agent's `vlans=`, ifupdown) is
/// adopted as it is and left in place.
extension BridgeAttachment {
    /// validate: the parent exists on this node, and a device already named
    /// like the VLAN is that VLAN. Both are this node's problems, not
    /// configuration errors: another node may be set up right.
    func checkVLANSubinterface(_ vlan: VLANSubinterface, in all: [Link]) throws {
        guard let parent = all.first(where: { $0.name == vlan.parent }) else {
            throw HostError(.missingInterface, object: vlan.parent.value,
                            "\(vlan.parent) (the parent of VLAN \(vlan.id)) does not exist on this node")
        }
        let name = try vlan.name()
        if let existing = all.first(where: { $0.name == name }),
           existing.kind?.vlan?.id != vlan.id || existing.parentIndex != parent.index {
            throw HostError(.wrongKind, object: name.value, "\(name) exists but is not VLAN \(vlan.id) on \(vlan.parent)")
        }
    }

    /// What a start did to the VLAN and its parent, for its rollback.
    struct VLANProgress {
        /// The record says "ours" (the kernel may or may not have made it).
        var recorded = false
        /// The parent was down and start brought it up.
        var parentBroughtUp = false
    }

    /// start: creates the VLAN if it is absent, recording the intent first
    /// (a kill after the kernel made it still leaves stop knowing it is
    /// ours), and brings the parent up, without which the VLAN carries
    /// nothing.
    func ensureVLANSubinterface(_ vlan: VLANSubinterface, progress: inout VLANProgress, done: inout [String]) throws {
        let all = try links.list()
        try checkVLANSubinterface(vlan, in: all)
        let name = try vlan.name()
        if !all.contains(where: { $0.name == name }) {
            try state.update { $0["vlan"] = name.value }
            progress.recorded = true
            do {
                try links.add(name, kind: .vlan(Vlan(id: vlan.id)), parent: vlan.parent)
                done.append("created VLAN \(name) on \(vlan.parent)")
            } catch let error as NetlinkError where error.errno == EEXIST {
                try state.update { $0["vlan"] = nil } // made by someone else just now
                progress.recorded = false
                try checkVLANSubinterface(vlan, in: try links.list())
            }
        }
        if let parent = all.first(where: { $0.name == vlan.parent }), !parent.isUp {
            progress.parentBroughtUp = true
            try links.setUp(vlan.parent, true)
            done.append("brought \(vlan.parent) up")
        }
    }

    /// Deletes the VLAN this resource recorded as made, once it is no port
    /// of anything (stop detached it from our bridge first). Clears the
    /// record when the kernel agrees it is gone.
    func deleteCreatedVLANSubinterface(record: [String: String]) throws -> [String] {
        guard let text = record["vlan"], let name = try? InterfaceName(validating: text) else { return [] }
        if let link = try links.link(named: name) {
            if link.masterIndex != nil {
                return ["left VLAN \(name) in place: it is still a port of another master"]
            }
            _ = try links.ensureAbsent(name)
            try state.update { $0["vlan"] = nil }
            return ["deleted VLAN \(name)"]
        }
        try state.update { $0["vlan"] = nil }
        return []
    }

    /// Best-effort undo of a failed start's VLAN: deleted if this start
    /// recorded it (whether or not the kernel answered), and the parent
    /// taken down again if this start brought it up.
    func rollbackVLANSubinterface(_ progress: VLANProgress) {
        if progress.recorded, let text = try? state.read()["vlan"], let name = try? InterfaceName(validating: text),
           let deleted = try? links.ensureAbsent(name) {
            try? state.update { $0["vlan"] = nil }
            if deleted { log("rolled back: deleted VLAN \(name)") }
        }
        if progress.parentBroughtUp, let vlan = configuration.vlanSubinterface, (try? links.setUp(vlan.parent, false)) != nil {
            log("rolled back: took \(vlan.parent) down")
        }
    }

    /// monitor: the uplink is still that VLAN on that parent, and the parent is up.
    func vlanSubinterfaceProblem(uplink: Link, in all: [Link]) -> String? {
        guard let vlan = configuration.vlanSubinterface else { return nil }
        guard let parent = all.first(where: { $0.name == vlan.parent }) else {
            return "\(vlan.parent) (the parent of uplink \(uplink.name)) does not exist"
        }
        guard uplink.kind?.vlan?.id == vlan.id, uplink.parentIndex == parent.index else {
            return "uplink \(uplink.name) is not VLAN \(vlan.id) on \(vlan.parent)"
        }
        return parent.isUp ? nil : "\(vlan.parent) (the parent of uplink \(uplink.name)) is down"
    }
}
