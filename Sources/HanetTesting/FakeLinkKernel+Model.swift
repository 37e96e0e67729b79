import Glibc
import CLinuxNet
import HanetLinks

/// The kernel's side effects and derived state: what happens to a port
/// joining or leaving a master, to the links around a deleted one, and how
/// carrier, MII status and the active slave follow from the stored facts.
extension FakeLinkKernel {
    /// The kernel's refusal of a request: errno plus extended-ACK text.
    struct Refusal: Error {
        var errno: Int32
        var message: String?
        init(_ errno: Int32, _ message: String? = nil) {
            self.errno = errno
            self.message = message
        }
    }

    // MARK: masters and ports

    /// do_set_master: leave the old master first (the port stays free if
    /// the new one refuses), then the new master's driver decides.
    func setMaster(_ index: Int32, to masterIndex: Int32) throws(Refusal) {
        guard let port = devices[index] else { throw Refusal(ENODEV) }
        if port.masterIndex == masterIndex { return }
        if masterIndex != 0 && devices[masterIndex] == nil { throw Refusal(EINVAL) }
        release(index)
        guard masterIndex != 0, let master = devices[masterIndex] else { return }
        switch master.kindName {
        case "bridge"?:
            // br_add_if
            if port.isBridge { throw Refusal(ELOOP, "Can not enslave a bridge to a bridge") }
            if port.flags.contains(.loopback) { throw Refusal(EINVAL) }
        case "bond"?:
            // bond_enslave (up to Linux 6.x: a slave must be down; the
            // library brings it down first, iproute2 does not).
            if index == masterIndex { throw Refusal(EPERM, "Cannot enslave bond to itself.") }
            if port.flags.contains(.up) { throw Refusal(EPERM, "Device can not be enslaved while up") }
        default:
            // No ndo_add_slave: a VLAN, veth, dummy or NIC is no master.
            throw Refusal(EOPNOTSUPP)
        }
        attach(index, to: masterIndex)
    }

    /// A port joins a master, with the driver's side effects and no checks.
    func attach(_ index: Int32, to masterIndex: Int32) {
        guard var port = devices[index], var master = devices[masterIndex] else { return }
        port.masterIndex = masterIndex
        if master.isBond {
            let bond = master.kind?.bond ?? Bond()
            enslaveCounter += 1
            port.slaveOrder = enslaveCounter
            port.permanentMAC = port.mac
            port.originalMTU = port.mtu
            // The first slave gives a bond without an address of its own
            // one; then every slave takes the bond's (fail_over_mac none).
            if master.macIsRandom && ports(of: masterIndex).isEmpty {
                master.mac = port.mac
                master.macIsRandom = false
                devices[masterIndex] = master
            }
            if bond.mode != .activeBackup || (bond.failOverMAC ?? FailOverMAC.none) == FailOverMAC.none {
                port.mac = master.mac
            }
            port.mtu = master.mtu
            port.flags.insert(.up) // bond_enslave opens the slave
        }
        devices[index] = port
        if master.isBridge { followLowestPortMTU(masterIndex) }
    }

    /// A port leaves its master. A bond closes it and gives back its own
    /// address and MTU (__bond_release_one); a bridge forgets the entries
    /// learned on it.
    func release(_ index: Int32) {
        guard var port = devices[index], let masterIndex = port.masterIndex else { return }
        port.masterIndex = nil
        port.portDisabled = false
        let master = devices[masterIndex]
        if master?.isBond == true {
            port.flags.remove(.up)
            if let mac = port.permanentMAC { port.mac = mac }
            if let mtu = port.originalMTU { port.mtu = mtu }
            port.permanentMAC = nil
            port.originalMTU = nil
            port.slaveOrder = 0
        }
        devices[index] = port
        if master?.isBridge == true {
            fdb.removeAll { $0.portIndex == index && $0.bridgeIndex == masterIndex }
            followLowestPortMTU(masterIndex)
        }
    }

    /// Unregistering a link: its ports are released, the VLANs on it and a
    /// veth's peer go with it, and so do the FDB entries that name it.
    func destroy(_ index: Int32) {
        guard let device = devices[index] else { return }
        for port in ports(of: index) { release(port.index) }
        release(index)
        devices[index] = nil
        fdb.removeAll { $0.portIndex == index || $0.bridgeIndex == index }
        forgetAddressesAndRoutes(of: index)
        for upper in devices.values where upper.parentIndex == index && upper.kindName == "vlan" { destroy(upper.index) }
        if device.kindName == "veth", let peer = device.parentIndex { destroy(peer) }
    }

    /// br_mtu_auto_adjust: a bridge whose MTU nobody set after creation
    /// takes its lowest port MTU (1500 without ports).
    func followLowestPortMTU(_ bridgeIndex: Int32) {
        guard var bridge = devices[bridgeIndex], bridge.isBridge, !bridge.mtuSetByUser else { return }
        bridge.mtu = ports(of: bridgeIndex).map(\.mtu).min() ?? 1500
        devices[bridgeIndex] = bridge
    }

    func ports(of masterIndex: Int32) -> [FakeLinkDevice] {
        devices.values.filter { $0.masterIndex == masterIndex }.sorted { $0.index < $1.index }
    }

    // MARK: derived state

    /// Carrier as the kernel reports it for an up link: a bridge has it when
    /// a port is up with carrier, a bond when a slave's MII is up, a VLAN
    /// when its lower device has it, a veth when its peer is up.
    func carrier(of index: Int32, depth: Int = 0) -> Bool {
        guard depth < 8, let device = devices[index], device.flags.contains(.up) else { return false }
        switch device.kindName {
        case "bridge"?: return ports(of: index).contains { carrier(of: $0.index, depth: depth + 1) }
        case "bond"?: return ports(of: index).contains { miiUp($0.index) }
        case "vlan"?: return device.parentIndex.map { carrier(of: $0, depth: depth + 1) } ?? false
        case "veth"?: return device.parentIndex.flatMap { devices[$0] }.map { $0.flags.contains(.up) } ?? false
        default: return device.carrier
        }
    }

    /// A slave's MII status: up while it is open and has carrier.
    func miiUp(_ index: Int32) -> Bool { carrier(of: index) }

    /// The active slave of an active-backup bond: the primary while its
    /// link is up, else the first enslaved slave whose link is.
    func activeSlave(of bondIndex: Int32) -> Int32? {
        guard let bond = devices[bondIndex], bond.kind?.bond?.mode == .activeBackup else { return nil }
        let candidates = ports(of: bondIndex).filter { miiUp($0.index) }.sorted { $0.slaveOrder < $1.slaveOrder }
        if let primary = bond.primaryIndex, candidates.contains(where: { $0.index == primary }) { return primary }
        if let chosen = bond.chosenActiveIndex, candidates.contains(where: { $0.index == chosen }) { return chosen }
        return candidates.first?.index
    }

    /// The link as RTM_NEWLINK reports it now: stored facts plus derived state.
    func reported(_ index: Int32) -> Link? {
        guard let device = devices[index] else { return nil }
        let hasCarrier = carrier(of: index)
        var flags = device.flags
        if hasCarrier { flags.formUnion([.lowerUp, .running]) }
        if device.isBond { flags.insert(.master) }
        let master = device.masterIndex.flatMap { devices[$0] }
        if master?.isBond == true { flags.insert(.slave) }

        var link = Link(index: index, name: device.name, flags: flags)
        link.mac = device.mac
        link.mtu = device.mtu
        link.carrier = hasCarrier
        link.operState = device.flags.contains(.loopback) ? .unknown : (hasCarrier ? .up : .down)
        link.masterIndex = device.masterIndex
        link.parentIndex = device.parentIndex
        link.alias = device.alias
        link.kind = device.kind
        if case .bond(var bond)? = device.kind {
            if let primary = device.primaryIndex, devices[primary]?.masterIndex == index { bond.primaryIndex = primary }
            bond.activeSlaveIndex = activeSlave(of: index)
            link.kind = .bond(bond)
        }
        link.slaveKind = master?.kindName
        if let master, master.isBridge {
            // Without STP a working port forwards; down or without carrier it is disabled.
            let working = device.flags.contains(.up) && hasCarrier && master.flags.contains(.up)
            link.bridgePortState = working && !device.portDisabled ? .forwarding : .disabled
        }
        if let master, master.isBond {
            var slave = BondSlaveState()
            let active = master.kind?.bond?.mode != .activeBackup || activeSlave(of: master.index) == index
            slave.role = active ? .active : .backup
            slave.miiStatus = miiUp(index) ? .up : .down
            slave.linkFailureCount = 0
            slave.permanentMAC = device.permanentMAC
            link.bondSlave = slave
        }
        return link
    }
}
