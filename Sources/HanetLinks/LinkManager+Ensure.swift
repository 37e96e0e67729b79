import Glibc
import HanetNetlink

/// What an `ensure` call had to do; agents use it to decide what a later
/// stop may undo (only what this start created) and to log changes.
public enum EnsureOutcome: Equatable, Sendable {
    /// The link did not exist and this call created it: a later stop may delete it.
    case created
    /// It existed and was brought to the desired state; `changes` lists what
    /// was set (`mtu 9000`).
    case adopted(changes: [String])
    /// It existed exactly as desired.
    case unchanged

    /// Whether the call changed anything in the kernel.
    public var changedSomething: Bool { self != .unchanged }
}

extension LinkManager {
    /// Desired state for `ensure`: `nil` fields are left as found.
    public struct Desired: Sendable {
        /// The link's name: `ensure` finds an existing link by it.
        public var name: InterfaceName
        /// Kind and options. An existing link of another kind is an error
        /// (`KindMismatch`); options left nil are not compared.
        public var kind: LinkKind
        /// The lower device (`ip link add link PARENT`); used only when creating.
        public var parent: InterfaceName?
        /// nil keeps the link's address (on creation, the kernel picks one).
        public var mac: MACAddress?
        /// nil keeps the link's MTU (on creation, the kernel's default).
        public var mtu: UInt32?
        /// The desired state; everything not given is left as found.
        public init(name: InterfaceName, kind: LinkKind, parent: InterfaceName? = nil, mac: MACAddress? = nil, mtu: UInt32? = nil) {
            self.name = name
            self.kind = kind
            self.parent = parent
            self.mac = mac
            self.mtu = mtu
        }
    }

    /// Wrong kind of link under the requested name: never "fixed" by
    /// deleting it, because it is not ours.
    public struct KindMismatch: Error, Equatable, CustomStringConvertible {
        /// The name that was asked for.
        public let name: InterfaceName
        /// The kind `ensure` wanted (`bond`).
        public let expected: String
        /// The kind found, or nil for a link without one (a physical NIC).
        public let found: String?
        public var description: String {
            "\(name) exists but is a \(found ?? "plain") interface, not a \(expected)"
        }
    }

    /// Creates the link if absent, otherwise brings its MAC, MTU and kind
    /// options to the desired values. Like pyroute2's `ensure()`: safe to
    /// call again and again, which is what an OCF start must be.
    /// A VLAN's id and a link's parent are not compared: the kernel cannot
    /// change them in place, so a caller that cares checks them itself.
    @discardableResult
    public func ensure(_ desired: Desired) throws -> EnsureOutcome {
        guard let existing = try link(named: desired.name) else {
            do {
                try add(desired.name, kind: desired.kind, parent: desired.parent, mac: desired.mac, mtu: desired.mtu)
                return .created
            } catch let error as NetlinkError where error.errno == EEXIST {
                // Lost a race with another creator: fall through to adopt.
            }
            return try ensure(desired)
        }
        guard existing.kind?.kernelName == desired.kind.kernelName else {
            throw KindMismatch(name: desired.name, expected: desired.kind.kernelName, found: existing.kind?.kernelName)
        }
        var changes: [String] = []
        if let mac = desired.mac, existing.mac != mac {
            try setMAC(desired.name, mac)
            changes.append("address \(mac)")
        }
        if let mtu = desired.mtu, existing.mtu != mtu {
            try setMTU(desired.name, mtu)
            changes.append("mtu \(mtu)")
        }
        if let delta = desired.kind.difference(from: existing.kind) {
            try modify(desired.name, kind: delta)
            changes.append("\(desired.kind.kernelName) options")
        }
        return changes.isEmpty ? .unchanged : .adopted(changes: changes)
    }

    /// Deletes the link if present; true when something was deleted.
    @discardableResult
    public func ensureAbsent(_ name: InterfaceName) throws -> Bool {
        do {
            try delete(name)
            return true
        } catch let error as NetlinkError where error.errno == ENODEV {
            return false
        }
    }

    /// Enslaves `name` to `master` unless it already is. The kernel refuses
    /// to enslave an up link to a bond on older kernels, so bond callers
    /// bring it down first (see the bond agent); bridges take up ports.
    @discardableResult
    public func ensureMaster(_ name: InterfaceName, master: InterfaceName) throws -> Bool {
        guard let port = try link(named: name) else {
            throw NetlinkError(operation: "RTM_NEWLINK", object: name.value, errno: ENODEV, kernelMessage: "no such interface")
        }
        guard let masterLink = try link(named: master) else {
            throw NetlinkError(operation: "RTM_NEWLINK", object: master.value, errno: ENODEV, kernelMessage: "no such interface")
        }
        if port.masterIndex == masterLink.index { return false }
        try setMaster(name, master: master)
        return true
    }

    /// Ports (links whose master is `master`), from one dump.
    public func ports(of master: Link, in links: [Link]) -> [Link] {
        links.filter { $0.masterIndex == master.index }
    }
}

extension LinkKind {
    /// The options of `self` that differ from `existing`, or nil if none.
    func difference(from existing: LinkKind?) -> LinkKind? {
        switch (self, existing) {
        case (.bridge(let want), .bridge(let have)?):
            var delta = Bridge()
            if let v = want.stp, v != have.stp { delta.stp = v }
            if let v = want.forwardDelayCentiseconds, v != have.forwardDelayCentiseconds { delta.forwardDelayCentiseconds = v }
            if let v = want.ageingTimeCentiseconds, v != have.ageingTimeCentiseconds { delta.ageingTimeCentiseconds = v }
            if let v = want.helloTimeCentiseconds, v != have.helloTimeCentiseconds { delta.helloTimeCentiseconds = v }
            if let v = want.maxAgeCentiseconds, v != have.maxAgeCentiseconds { delta.maxAgeCentiseconds = v }
            if let v = want.vlanFiltering, v != have.vlanFiltering { delta.vlanFiltering = v }
            return delta.hasAttributes ? .bridge(delta) : nil
        case (.bond(let want), .bond(let have)?):
            let delta = want.difference(from: have)
            return delta.hasAttributes ? .bond(delta) : nil
        case (.vlan, .vlan?):
            // A VLAN's id cannot change in place: the agent recreates it.
            return nil
        default:
            return nil
        }
    }
}

extension Bond {
    /// Options set in `self` whose value differs in `existing`.
    public func difference(from existing: Bond) -> Bond {
        var delta = Bond()
        func pick<T: Equatable>(_ want: T?, _ have: T?) -> T? { (want != nil && want != have) ? want : nil }
        delta.mode = pick(mode, existing.mode)
        delta.miimon = pick(miimon, existing.miimon)
        delta.updelay = pick(updelay, existing.updelay)
        delta.downdelay = pick(downdelay, existing.downdelay)
        delta.arpInterval = pick(arpInterval, existing.arpInterval)
        delta.arpIPTargets = pick(arpIPTargets, existing.arpIPTargets)
        delta.arpValidate = pick(arpValidate, existing.arpValidate)
        delta.primaryIndex = pick(primaryIndex, existing.primaryIndex)
        delta.primaryReselect = pick(primaryReselect, existing.primaryReselect)
        delta.failOverMAC = pick(failOverMAC, existing.failOverMAC)
        delta.xmitHashPolicy = pick(xmitHashPolicy, existing.xmitHashPolicy)
        delta.numPeerNotifications = pick(numPeerNotifications, existing.numPeerNotifications)
        delta.allSlavesActive = pick(allSlavesActive, existing.allSlavesActive)
        delta.minLinks = pick(minLinks, existing.minLinks)
        delta.lacpRate = pick(lacpRate, existing.lacpRate)
        delta.adSelect = pick(adSelect, existing.adSelect)
        delta.adActorSysPrio = pick(adActorSysPrio, existing.adActorSysPrio)
        delta.adUserPortKey = pick(adUserPortKey, existing.adUserPortKey)
        delta.adActorSystem = pick(adActorSystem, existing.adActorSystem)
        delta.lacpActive = pick(lacpActive, existing.lacpActive)
        delta.arpAllTargets = pick(arpAllTargets, existing.arpAllTargets)
        delta.arpMissedMax = pick(arpMissedMax, existing.arpMissedMax)
        // The kernel reports no nest at all once the list is empty.
        delta.nsIP6Targets = pick(nsIP6Targets, existing.nsIP6Targets ?? (nsIP6Targets == [] ? [] : nil))
        delta.peerNotifyDelay = pick(peerNotifyDelay, existing.peerNotifyDelay)
        delta.tlbDynamicLB = pick(tlbDynamicLB, existing.tlbDynamicLB)
        delta.resendIGMP = pick(resendIGMP, existing.resendIGMP)
        delta.useCarrier = pick(useCarrier, existing.useCarrier)
        delta.packetsPerSlave = pick(packetsPerSlave, existing.packetsPerSlave)
        delta.lpInterval = pick(lpInterval, existing.lpInterval)
        delta.activeSlaveIndex = pick(activeSlaveIndex, existing.activeSlaveIndex)
        return delta
    }
}
