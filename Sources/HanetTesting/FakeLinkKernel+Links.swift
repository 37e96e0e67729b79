import Glibc
import CLinuxNet
import HanetNetlink
import HanetLinks

/// Request handling: one entry point per message, then the link requests
/// in the order and with the rules of rtnetlink's own handlers.
extension FakeLinkKernel {
    /// Decodes, records, applies an armed fault or the model, and builds
    /// the reply datagram. A refusal changes nothing that came before it in
    /// the same request's order, as in the kernel (do_setlink is not atomic).
    func answer(_ message: NetlinkMessage) -> [UInt8] {
        let type = FakeKernelRequest.MessageType(rawValue: message.type)
        var record = FakeKernelRequest(type: type, flags: message.flags, summary: "\(type)")
        defer { requests.append(record) }
        do {
            let perform: () throws -> [UInt8]
            switch type {
            case .getLink, .newLink, .setLink, .delLink:
                let request = try FakeLinkRequest(message)
                record.object = request.objectName(in: self)
                record.summary = request.summary(type, in: self)
                perform = { try self.perform(request, type, message) }
            case .getNeigh, .newNeigh, .delNeigh:
                let request = try NeighbourRequest(message)
                record.object = request.objectName(type, in: self)
                record.summary = request.summary(type, in: self)
                perform = { try self.perform(request, type, message) }
            case .getAddr:
                // inet_dump_ifaddr without strict checking: every address.
                record.summary = "addr show"
                perform = { self.replyDatagram(self.addresses.map(self.addressMessage), to: message, dump: true) }
            case .newAddr, .delAddr, .getRoute, .newRoute, .delRoute:
                perform = try addressOrRouteRequest(message, type, record: &record)
            default:
                throw Refusal(EOPNOTSUPP, "the fake kernel does not model \(type)")
            }
            if let index = faults.firstIndex(where: { $0.matches(record) }) {
                let fault = faults[index]
                faults[index].remaining -= 1
                if faults[index].remaining <= 0 { faults.remove(at: index) }
                record.injected = true
                throw Refusal(fault.errno, fault.message)
            }
            return try perform()
        } catch {
            let refusal = error as? Refusal ?? Refusal(EINVAL, "\(error)")
            record.errno = refusal.errno
            record.kernelMessage = refusal.message
            return errorDatagram(refusal, to: message)
        }
    }

    private func perform(_ request: FakeLinkRequest, _ type: FakeKernelRequest.MessageType,
                         _ message: NetlinkMessage) throws(Refusal) -> [UInt8] {
        switch type {
        case .getLink:
            if request.isDump {
                // rtnl_dump_ifinfo filters by IFLA_MASTER when one is given.
                var links = self.links
                if let master = request.master, master != 0 { links = links.filter { $0.masterIndex == master } }
                return replyDatagram(links.map(linkMessage), to: message, dump: true)
            }
            if request.index == 0 && request.name == nil { throw Refusal(EINVAL) }
            guard let index = request.target(in: self), let link = reported(index) else { throw Refusal(ENODEV) }
            return replyDatagram([linkMessage(link)], to: message, dump: false)
        case .delLink:
            guard let index = request.target(in: self), let device = devices[index] else { throw Refusal(ENODEV) }
            // rtnl_dellink: only links with rtnl_link_ops (virtual ones) can go.
            guard device.kind != nil else { throw Refusal(EOPNOTSUPP) }
            destroy(index)
        default:
            if request.isBridgeFamily {
                guard type == .setLink, let index = request.target(in: self) else { throw Refusal(EOPNOTSUPP) }
                try setPortState(index, request.portState)
                return replyDatagram([], to: message, dump: false)
            }
            if let index = request.target(in: self) {
                if type == .newLink && request.isCreate && request.isExclusive { throw Refusal(EEXIST) }
                try change(index, request)
            } else {
                guard type == .newLink && request.isCreate else { throw Refusal(ENODEV) }
                try create(request)
            }
        }
        return replyDatagram([], to: message, dump: false)
    }

    // MARK: create

    /// rtnl_newlink for a new device: the kind's driver (newlink), then
    /// rtnl_configure_link (flags), then IFLA_MASTER; a refused master
    /// unregisters the new device again.
    private func create(_ request: FakeLinkRequest) throws(Refusal) {
        guard let rawName = request.name, let name = try? InterfaceName(validating: rawName) else {
            throw Refusal(EINVAL, request.name == nil ? "no IFLA_IFNAME" : "invalid interface name")
        }
        guard let kindName = request.kindName, supportedKinds.contains(kindName) else {
            throw Refusal(EOPNOTSUPP, "Unknown device type")
        }
        if request.badAddress { throw Refusal(EINVAL) }
        if let mtu = request.mtu { try Self.checkMTU(mtu) }
        var parentIndex: Int32?
        var mtu = request.mtu ?? 1500
        var mac = request.mac
        switch kindName {
        case "vlan":
            // vlan_newlink / vlan_check_real_dev
            guard let parent = request.parent else { throw Refusal(EINVAL, "link not specified") }
            guard let lower = devices[parent] else { throw Refusal(ENODEV, "link does not exist") }
            guard case .vlan(let vlan)? = request.kind else { throw Refusal(EINVAL, "VLAN id not specified") }
            guard Vlan.validIDs.contains(vlan.id) else { throw Refusal(ERANGE, "Invalid VLAN id") }
            if devices.values.contains(where: { $0.parentIndex == parent && $0.kind?.vlan == vlan }) {
                throw Refusal(EEXIST, "VLAN device already exists")
            }
            if let wanted = request.mtu, wanted > lower.mtu { throw Refusal(EINVAL) }
            parentIndex = parent
            mtu = request.mtu ?? lower.mtu
            mac = mac ?? lower.mac
        case "veth":
            if let peer = request.vethPeer, index(named: peer) != nil { throw Refusal(EEXIST) }
        default:
            break
        }
        let index = nextIndex
        nextIndex += 1
        var device = FakeLinkDevice(index: index, name: name, kind: request.kind?.withKernelDefaults ?? .other(kindName),
                                    mac: mac ?? Self.generatedMAC(index), mtu: mtu, flags: FakeLinkDevice.etherFlags,
                                    carrier: true, parentIndex: parentIndex)
        if kindName == "bond" {
            device.macIsRandom = request.mac == nil
            device.primaryIndex = request.kind?.bond?.primaryIndex
        }
        if let alias = request.alias, !alias.isEmpty { device.alias = alias }
        devices[index] = device
        if kindName == "veth" && !request.vethPeerElsewhere {
            let peerIndex = nextIndex
            nextIndex += 1
            let peerName = request.vethPeer.flatMap { try? InterfaceName(validating: $0) }
                ?? (try? InterfaceName(validating: "veth\(peerIndex)")) ?? "veth"
            devices[peerIndex] = FakeLinkDevice(index: peerIndex, name: peerName, kind: .veth(Veth()),
                                                mac: Self.generatedMAC(peerIndex), mtu: mtu,
                                                flags: FakeLinkDevice.etherFlags, carrier: true, parentIndex: index)
            devices[index]?.parentIndex = peerIndex
        }
        if request.changesFlags { applyFlags(index, request.header) }
        if let master = request.master, master != 0 {
            do throws(Refusal) {
                try setMaster(index, to: master)
            } catch {
                destroy(index)
                throw error
            }
        }
    }

    // MARK: change

    /// __rtnl_newlink / do_setlink for an existing device, in the kernel's
    /// order: kind options (changelink), address, MTU, alias, flags, master.
    private func change(_ index: Int32, _ request: FakeLinkRequest) throws(Refusal) {
        guard let device = devices[index] else { throw Refusal(ENODEV) }
        if request.hasKindData {
            guard request.kindName == device.kindName else { throw Refusal(EOPNOTSUPP) }
            try changeKind(index, request.kind)
        }
        if request.badAddress { throw Refusal(EINVAL) }
        if let mac = request.mac {
            devices[index]?.mac = mac
            devices[index]?.macIsRandom = false
        }
        if let mtu = request.mtu { try changeMTU(index, mtu) }
        if let alias = request.alias {
            guard alias.utf8.count < 256 else { throw Refusal(EINVAL) }
            devices[index]?.alias = alias.isEmpty ? nil : alias
        }
        if request.changesFlags { applyFlags(index, request.header) }
        if let master = request.master { try setMaster(index, to: master) }
        // do_setlink's NETDEV_CHANGE: the bridge's carrier check enables a
        // disabled port again (br_port_carrier_check).
        devices[index]?.portDisabled = false
    }

    /// changelink of the bridge or bonding driver.
    private func changeKind(_ index: Int32, _ kind: LinkKind?) throws(Refusal) {
        guard let device = devices[index] else { throw Refusal(ENODEV) }
        switch (device.kind, kind) {
        case (.bond(let have)?, .bond(let delta)?):
            // bond_opt_check_deps for BOND_OPT_MODE (NOSLAVES | IFDOWN).
            if let mode = delta.mode, mode != have.mode {
                if !ports(of: index).isEmpty {
                    throw Refusal(ENOTEMPTY, "unable to set option because the bond device has slaves")
                }
                if device.flags.contains(.up) { throw Refusal(EBUSY, "unable to set option because the bond is up") }
            }
            // bond_opt_check_deps: BOND_OPTFLAG_IFDOWN options are refused on
            // an up bond even when the value would not change.
            let ifDownOnly = delta.lacpActive != nil || delta.adUserPortKey != nil || delta.tlbDynamicLB != nil
            if device.flags.contains(.up), ifDownOnly {
                throw Refusal(EBUSY, "unable to set option because the bond is up")
            }
            var merged = have.merging(delta)
            // One link monitor at a time: the driver turns the other off.
            if let miimon = delta.miimon, miimon > 0 { merged.arpInterval = 0 }
            if let interval = delta.arpInterval, interval > 0 { merged.miimon = 0 }
            devices[index]?.kind = .bond(merged)
            if let primary = delta.primaryIndex { devices[index]?.primaryIndex = primary == 0 ? nil : primary }
            // bond_option_active_slave_set: one of its slaves, with link, in a
            // mode with an active slave; EINVAL otherwise.
            if let active = delta.activeSlaveIndex, active != 0 {
                guard merged.mode == .activeBackup, devices[active]?.masterIndex == index, miiUp(active) else {
                    throw Refusal(EINVAL, "invalid option value")
                }
                devices[index]?.chosenActiveIndex = active
            }
        case (.bridge(let have)?, .bridge(let delta)?):
            devices[index]?.kind = .bridge(have.merging(delta))
        default:
            break // a VLAN's id and a veth cannot change in place
        }
    }

    /// dev_set_mtu with the drivers' reactions: a bridge stops following
    /// its ports, a bond passes it to its slaves, a port makes its bridge re-follow.
    private func changeMTU(_ index: Int32, _ mtu: UInt32) throws(Refusal) {
        try Self.checkMTU(mtu)
        guard let device = devices[index] else { throw Refusal(ENODEV) }
        if device.kindName == "vlan", let parent = device.parentIndex, let lower = devices[parent], mtu > lower.mtu {
            throw Refusal(ERANGE)
        }
        devices[index]?.mtu = mtu
        if device.isBridge { devices[index]?.mtuSetByUser = true }
        if device.isBond { for slave in ports(of: index) { devices[slave.index]?.mtu = mtu } }
        if let master = device.masterIndex, devices[master]?.isBridge == true { followLowestPortMTU(master) }
    }

    /// br_setlink -> br_set_port_state: only a bridge's port, not while
    /// kernel STP runs, only when up (and with carrier, unless disabling).
    private func setPortState(_ index: Int32, _ state: UInt8?) throws(Refusal) {
        guard let device = devices[index], let master = device.masterIndex, devices[master]?.isBridge == true else {
            throw Refusal(EINVAL)
        }
        guard let state else { return }
        guard state <= BridgePortState.blocking.rawValue else { throw Refusal(EINVAL) }
        if devices[master]?.kind?.bridge?.stp == true { throw Refusal(EBUSY) }
        guard device.flags.contains(.up) else { throw Refusal(ENETDOWN) }
        if !carrier(of: index) && state != BridgePortState.disabled.rawValue { throw Refusal(ENETDOWN) }
        // Without STP, br_port_state_selection moves any port it has not
        // disabled straight back to forwarding.
        devices[index]?.portDisabled = state == BridgePortState.disabled.rawValue
    }

    /// rtnl_dev_combine_flags + dev_change_flags: bits outside ifi_change
    /// keep their value; only the changeable ones can move.
    private func applyFlags(_ index: Int32, _ header: ifinfomsg) {
        guard let device = devices[index] else { return }
        let current = device.flags.rawValue
        let wanted = header.ifi_change == 0 ? header.ifi_flags
            : (header.ifi_flags & header.ifi_change) | (current & ~header.ifi_change)
        let changeable = FakeLinkDevice.changeableFlags.rawValue
        devices[index]?.flags = LinkFlags(rawValue: (current & ~changeable) | (wanted & changeable))
    }

    /// dev_validate_mtu for an Ethernet device.
    private static func checkMTU(_ mtu: UInt32) throws(Refusal) {
        if mtu < 68 { throw Refusal(EINVAL, "mtu less than device minimum") }
        if mtu > 65535 { throw Refusal(EINVAL, "mtu greater than device maximum") }
    }
}
