/// Turns raw link events into the lines an administrator wants to read:
/// "bond0: active slave eth1 -> eth2", "eth1: link down (port of bond0)".
///
/// Kept separate from the socket so the wording is unit-tested with
/// recorded links, and `hanet watch` stays a thin loop.
public struct LinkChangeTracker {
    private var links: [Int32: Link]

    /// Starts from `links` (one dump); each event is compared with the last
    /// state seen of its link.
    public init(links: [Link]) {
        self.links = Dictionary(links.map { ($0.index, $0) }, uniquingKeysWith: { _, b in b })
    }

    private func name(_ index: Int32?) -> String {
        guard let index else { return "none" }
        return links[index]?.name.value ?? "ifindex \(index)"
    }

    /// The lines one event is worth, in a fixed order; empty when nothing an
    /// administrator reads changed. `.overrun` yields nothing: call `resync`
    /// with a fresh dump.
    public mutating func apply(_ event: LinkEvent) -> [String] {
        switch event {
        case .overrun:
            return []
        case .removed(let link):
            links[link.index] = nil
            return ["\(link.name): removed"]
        case .changed(let link):
            let old = links[link.index]
            links[link.index] = link
            guard let old else { return ["\(link.name): created" + (link.kind.map { " (\($0.kernelName))" } ?? "")] }
            return describe(from: old, to: link)
        }
    }

    /// After lost events: report differences against a fresh dump.
    public mutating func resync(_ fresh: [Link]) -> [String] {
        var lines: [String] = []
        let freshByIndex = Dictionary(fresh.map { ($0.index, $0) }, uniquingKeysWith: { _, b in b })
        for (index, old) in links where freshByIndex[index] == nil { lines.append("\(old.name): removed") }
        for link in fresh {
            if let old = links[link.index] { lines += describe(from: old, to: link) } else { lines.append("\(link.name): created") }
        }
        links = freshByIndex
        return lines
    }

    func describe(from old: Link, to new: Link) -> [String] {
        var lines: [String] = []
        let who = new.name.value
        if old.name != new.name { lines.append("\(old.name): renamed to \(new.name)") }
        if old.isUp != new.isUp { lines.append("\(who): admin \(new.isUp ? "up" : "down")") }
        if old.hasCarrier != new.hasCarrier {
            var line = "\(who): link \(new.hasCarrier ? "up" : "down")"
            if let master = new.masterIndex { line += " (port of \(name(master)))" }
            lines.append(line)
        }
        if old.masterIndex != new.masterIndex {
            if let master = new.masterIndex {
                lines.append("\(who): enslaved to \(name(master))")
            } else {
                lines.append("\(who): released from \(name(old.masterIndex))")
            }
        }
        if let oldBond = old.kind?.bond, let newBond = new.kind?.bond {
            if oldBond.activeSlaveIndex != newBond.activeSlaveIndex {
                lines.append("\(who): active slave \(name(oldBond.activeSlaveIndex)) -> \(name(newBond.activeSlaveIndex)) (failover)")
            }
            if oldBond.adInfo?.aggregatorID != newBond.adInfo?.aggregatorID, let agg = newBond.adInfo?.aggregatorID {
                lines.append("\(who): active aggregator now \(agg)")
            }
        }
        if let oldSlave = old.bondSlave, let newSlave = new.bondSlave {
            if oldSlave.miiStatus != newSlave.miiStatus, let status = newSlave.miiStatus {
                lines.append("\(who): bond slave MII status \(status)" + (new.masterIndex.map { " in \(name($0))" } ?? ""))
            }
            if oldSlave.role != newSlave.role, let role = newSlave.role {
                lines.append("\(who): bond slave is now \(role == .active ? "active" : "backup")")
            }
        }
        if old.mac != new.mac, let mac = new.mac { lines.append("\(who): address \(mac)") }
        if old.mtu != new.mtu, let mtu = new.mtu { lines.append("\(who): mtu \(mtu)") }
        return lines
    }
}
