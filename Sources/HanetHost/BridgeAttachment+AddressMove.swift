import Glibc
import CLinuxNet
import HanetLinks
import HanetNetlink

/// `move_addresses`: the host's own addresses and routes follow the uplink
/// into the bridge, as Xen's `network-bridge netdev=bond0` did (seed 001).
/// Left on a bridge port they half work: IPv4 still answers (ARP replies
/// for any local address), IPv6 neighbour discovery stops, and routes
/// through the port bypass the bridge.
///
/// Order, so that a kill at any point leaves the host reachable and the
/// state recoverable: the list is recorded first; everything is added on
/// the new side before anything is deleted on the old one (addresses, then
/// routes: a gateway needs its connected prefix); routes are deleted
/// before addresses (deleting a device's last IPv4 address flushes its
/// routes). Each step accepts "already done", so the record can be
/// replayed in either direction from any point.
extension BridgeAttachment {
    /// Moves what the uplink carries (and what the record says a former
    /// start began to move) to the bridge. Nothing recorded, nothing sent
    /// when the uplink has nothing to move.
    func moveAddressesToBridge(uplink: Link, bridge: Link) throws -> [String] {
        guard configuration.moveAddresses else { return [] }
        let stored = try state.read()
        var record = MovedAddressRecord(record: stored)
        let found = try movable(on: uplink)
        if record.merge(addresses: found.addresses, labelSuffixes: found.labelSuffixes, routes: found.routes) {
            try state.update { record.store(into: &$0) }
        }
        guard !record.isEmpty else { return [] }
        return try move(record, from: uplink, to: bridge)
    }

    /// Moves what the record lists back to the uplink and clears the record.
    /// The bridge may be gone (its addresses went with it): then they are
    /// only put back.
    func moveAddressesBack() throws -> [String] {
        let record = MovedAddressRecord(record: try state.read())
        guard !record.isEmpty else { return [] }
        guard let uplinkName = configuration.uplink, let uplink = try links.link(named: uplinkName) else {
            try clearMoveRecord()
            return ["uplink \(configuration.uplink?.value ?? "?") is gone: its moved addresses cannot go back"]
        }
        let bridge = try links.link(named: configuration.bridge).flatMap { $0.kind?.kernelName == "bridge" ? $0 : nil }
        let done = try move(record, from: bridge, to: uplink, lenient: true)
        try clearMoveRecord()
        return done
    }

    func clearMoveRecord() throws {
        try state.update { MovedAddressRecord().store(into: &$0) }
    }

    /// Why the moved addresses are not where they belong; nil when they
    /// are (or nothing was moved). Only a recorded address found on the
    /// uplink again counts: someone (ifupdown, dhclient, an administrator)
    /// put it back there, and the bridge no longer answers for it properly.
    func addressMoveProblem(uplink: Link) throws -> String? {
        guard configuration.moveAddresses else { return nil }
        let record = MovedAddressRecord(record: try state.read())
        guard !record.addresses.isEmpty else { return nil }
        let onUplink = try links.addresses(ofIndex: uplink.index)
        let back = record.addresses.filter { moved in onUplink.contains { $0.sameAddress(as: moved) } }
        guard !back.isEmpty else { return nil }
        return "address(es) \(back.map(\.description).joined(separator: " ")) moved to \(configuration.bridge) are on uplink \(uplink.name) again"
    }

    // MARK: the move itself

    /// The same steps whichever way: add addresses, add routes, delete
    /// routes, delete addresses, then drop the IFA_F_NODAD the move added.
    /// Only what is missing is added and only what is there is deleted
    /// (read first), so a second start or stop sends nothing.
    /// `from` nil: the old side is gone, nothing to delete there.
    /// `lenient` (moving back, at stop or rollback): a route the uplink
    /// refuses (ENETDOWN when someone set it down) is logged and left on
    /// the bridge rather than failing the stop, which would fence the node.
    private func move(_ record: MovedAddressRecord, from: Link?, to: Link, lenient: Bool = false) throws -> [String] {
        var done: [String] = []
        let both = try links.addresses(ofIndexes: Set([to.index] + (from.map { [$0.index] } ?? [])))
        let onTarget = both.filter { $0.interfaceIndex == to.index }
        let onSource = from.map { source in both.filter { $0.interfaceIndex == source.index } } ?? []
        var table: [Route] = []
        for family in [AF_INET, AF_INET6] where record.routes.contains(where: { $0.family == family }) {
            table += try links.routes(family: family)
        }
        let routed = { (route: Route, index: Int32) in table.contains { $0.outputIndex == index && Self.sameKey($0, route) } }
        var nodadAdded: [(InterfaceAddress, String?)] = []
        // Primaries first: the first address of a subnet becomes its primary.
        let order = record.addresses.indices.filter { !record.addresses[$0].isSecondary }
            + record.addresses.indices.filter { record.addresses[$0].isSecondary }
        for i in order {
            let address = record.addresses[i]
            guard !onTarget.contains(where: { $0.sameAddress(as: address) }) else { continue }
            let label = Self.label(record.labelSuffixes[i], on: to.name)
            // The address was in use on this link a moment ago: no DAD, or
            // IPv6 would not answer for it until DAD ends (a second).
            let nodad = address.family == AF_INET6 && address.flags & UInt32(IFA_F_NODAD) == 0
            do {
                try links.addAddress(address, toIndex: to.index, label: label, extraFlags: nodad ? UInt32(IFA_F_NODAD) : 0)
                if nodad { nodadAdded.append((address, label)) }
                done.append("moved address \(address) to \(to.name)")
            } catch let error as NetlinkError where error.errno == EEXIST {}
        }
        var refused: [Route] = []
        for route in record.routes where !routed(route, to.index) {
            var new = route
            new.outputIndex = to.index
            do {
                if try links.addRoute(new) { done.append("moved route \(route.description) to \(to.name)") }
            } catch let error as NetlinkError where lenient {
                refused.append(route)
                done.append("could not move route \(route.description) back to \(to.name) (\(error)); left where it was")
            }
        }
        if let from {
            for route in record.routes where routed(route, from.index) && !refused.contains(route) {
                var old = route
                old.outputIndex = from.index
                try links.deleteRoute(old)
            }
            for i in order.reversed() where onSource.contains(where: { $0.sameAddress(as: record.addresses[i]) }) {
                try links.deleteAddress(record.addresses[i], fromIndex: from.index)
            }
        }
        for (address, label) in nodadAdded {
            // A replace changes flags without a new DAD (inet6_addr_modify).
            // Only cosmetic (`ip addr` shows "nodad"): never fails the move.
            do {
                try links.addAddress(address, toIndex: to.index, label: label, replace: true)
            } catch {
                log("could not clear nodad on \(address) (\(error)); it stays")
            }
        }
        return done
    }

    /// The kernel's key of a route (table, destination, TOS, metric) and
    /// its gateway: what tells a moved route from another on the same device.
    static func sameKey(_ a: Route, _ b: Route) -> Bool {
        a.family == b.family && a.table == b.table && a.destination == b.destination
            && a.destinationLength == b.destinationLength && a.tos == b.tos && a.gateway == b.gateway
            && (a.priority ?? 0) == (b.priority ?? 0)
    }

    /// What the kernel would not make on the bridge by itself.
    private func movable(on uplink: Link) throws -> (addresses: [InterfaceAddress], labelSuffixes: [String?], routes: [Route]) {
        let addresses = try links.addresses(ofIndex: uplink.index).filter(Self.isMovable)
        let suffixes = addresses.map { address -> String? in
            guard let label = address.label, label.hasPrefix(uplink.name.value + ":") else { return nil }
            let suffix = String(label.dropFirst(uplink.name.value.count))
            return suffix.allSatisfy({ $0.isLetter || $0.isNumber || $0 == ":" || $0 == "_" || $0 == "-" || $0 == "." }) ? suffix : nil
        }
        var routes: [Route] = []
        for family in [AF_INET, AF_INET6] {
            routes += try links.routes(family: family).filter { $0.outputIndex == uplink.index && Self.isMovable($0) }
        }
        return (addresses, suffixes, routes)
    }

    /// Not the kernel's own: IPv6 link-local (every device makes its own),
    /// privacy and SLAAC addresses (router advertisements make them again),
    /// and without IFA_PROTO (before Linux 6.1) a dynamic IPv6 address
    /// cannot be told from SLAAC, so it stays.
    static func isMovable(_ a: InterfaceAddress) -> Bool {
        guard a.family == AF_INET6 else { return true }
        if a.scope != UInt8(RT_SCOPE_UNIVERSE.rawValue) && a.scope != UInt8(RT_SCOPE_SITE.rawValue) { return false }
        if a.flags & UInt32(IFA_F_TEMPORARY) != 0 { return false }
        if let proto = a.addressProtocol { return proto == 0 || proto > 3 }
        return a.flags & UInt32(IFA_F_PERMANENT) != 0
    }

    /// Not the kernel's own (connected prefixes, local/broadcast routes,
    /// fe80::/64, router advertisements, redirects), nor a cache entry, nor
    /// multipath (its other nexthops may be elsewhere: left alone).
    static func isMovable(_ r: Route) -> Bool {
        let kernels: Set<UInt8> = [UInt8(RTPROT_KERNEL), UInt8(RTPROT_RA), UInt8(RTPROT_REDIRECT)]
        return !kernels.contains(r.protocol) && r.flags & UInt32(RTM_F_CLONED) == 0 && !r.isMultipath
            && r.type == UInt8(RTN_UNICAST)
    }

    /// `bond0:1` moves as `xenbr0:1` (the kernel wants labels to start
    /// with the device's name); too long for IFNAMSIZ: no label.
    static func label(_ suffix: String?, on device: InterfaceName) -> String? {
        guard let suffix else { return nil }
        let label = device.value + suffix
        return label.utf8.count <= 15 ? label : nil
    }
}
