import Glibc
import CLinuxNet
import HanetNetlink
import HanetLinks

/// Addresses and routes: RTM_NEWADDR/DELADDR and RTM_GETROUTE/NEWROUTE/
/// DELROUTE with the kernel rules the bridge agent's address move relies
/// on, each from the kernel sources:
/// - The same address twice on a device: EEXIST (inet_insert_ifa,
///   ipv6_add_addr) unless NLM_F_REPLACE, which changes flags and
///   lifetimes in place. A second IPv4 address of a subnet is secondary.
/// - Adding an address makes its connected route (proto kernel; IPv4 in
///   main, scope link; IPv6 metric 256); deleting it removes that route.
/// - Deleting an absent address: EADDRNOTAVAIL. Deleting an IPv4 primary
///   deletes the secondaries of its subnet (promote_secondaries off);
///   deleting a device's last IPv4 address flushes its IPv4 routes
///   (fib_inetaddr_event -> fib_disable_ip).
/// - A route on a missing device: ENODEV; an IPv4 route on a device that
///   is down: ENETDOWN; a gateway no connected route of the device covers:
///   ENETUNREACH (fib_check_nh). The same key (table, destination, TOS,
///   metric) with NLM_F_EXCL: EEXIST; the very same route (also device and
///   gateway): EEXIST. Without NLM_F_APPEND an IPv4 route goes first.
/// - Deleting a route that matches nothing: ESRCH.
/// - Deleting a link removes its addresses and routes.
extension FakeLinkKernel {
    // MARK: the host as a test finds it

    /// Puts a route in place as if `ip route add` had (not recorded, no
    /// rule checked). `device` becomes its output interface.
    public func addRoute(_ route: Route, device: InterfaceName) {
        var route = route
        route.outputIndex = index(named: device.value)
        precondition(route.outputIndex != nil, "fake kernel: no link \(device)")
        routeTable.append(route)
    }

    /// Every route, in the order a dump reports them.
    public var routes: [Route] { routeTable }

    /// The addresses of one device, as `ip addr show dev NAME` lists them.
    public func addresses(of device: InterfaceName) -> [InterfaceAddress] {
        guard let index = index(named: device.value) else { return [] }
        return addresses.filter { $0.interfaceIndex == index }
    }

    /// The routes through one device (`ip route show table all dev NAME`).
    public func routes(of device: InterfaceName) -> [Route] {
        guard let index = index(named: device.value) else { return [] }
        return routeTable.filter { $0.outputIndex == index }
    }

    // MARK: requests

    /// Decodes one address or route request: its summary and the action.
    func addressOrRouteRequest(_ message: NetlinkMessage, _ type: FakeKernelRequest.MessageType,
                               record: inout FakeKernelRequest) throws(Refusal) -> () throws -> [UInt8] {
        let newType = type == .newAddr || type == .delAddr ? UInt16(RTM_NEWADDR) : UInt16(RTM_NEWROUTE)
        let decodable = NetlinkMessage(type: newType, flags: 0, sequence: 0, portID: 0, payload: message.payload)
        switch type {
        case .getRoute:
            record.summary = "route show"
            let family = message.payload.first.map(Int32.init) ?? Int32(AF_UNSPEC)
            return { self.replyDatagram(self.routeTable.filter { family == AF_UNSPEC || $0.family == family }.map(self.routeMessage),
                                        to: message, dump: true) }
        case .newAddr, .delAddr:
            guard let address = try? InterfaceAddress(message: decodable) else { throw Refusal(EINVAL) }
            let verb = type == .newAddr ? (message.flags & NetlinkConstants.replace != 0 ? "replace" : "add") : "del"
            record.object = devices[address.interfaceIndex]?.name.value
            record.summary = "addr \(verb) \(address) dev \(record.object ?? "?")"
                + (address.flags & UInt32(IFA_F_NODAD) != 0 ? " nodad" : "")
            return { () throws(Refusal) in
                if type == .newAddr { try self.newAddress(address, flags: message.flags) } else { try self.deleteAddress(address) }
                return self.replyDatagram([], to: message, dump: false)
            }
        default:
            guard let route = try? Route(message: decodable) else { throw Refusal(EINVAL) }
            record.object = route.outputIndex.flatMap { devices[$0]?.name.value }
            record.summary = "route \(type == .newRoute ? "add" : "del") \(summary(route))"
            return { () throws(Refusal) in
                if type == .newRoute { try self.newRoute(route, flags: message.flags) } else { try self.deleteRoute(route) }
                return self.replyDatagram([], to: message, dump: false)
            }
        }
    }

    /// `ip route` style, with the device's name rather than its index.
    func summary(_ route: Route) -> String {
        var anywhere = route
        anywhere.outputIndex = nil
        return anywhere.description + (route.outputIndex.map { " dev \(devices[$0]?.name.value ?? "ifindex \($0)")" } ?? "")
    }

    private func newAddress(_ request: InterfaceAddress, flags: UInt16) throws(Refusal) {
        guard devices[request.interfaceIndex] != nil else { throw Refusal(ENODEV) }
        var address = request
        address.label = nil
        address.addressProtocol = nil
        if address.isPermanent { address.flags |= UInt32(IFA_F_PERMANENT) }
        if let existing = addresses.firstIndex(where: { $0.interfaceIndex == address.interfaceIndex && $0.bytes == address.bytes }) {
            guard flags & NetlinkConstants.replace != 0 else { throw Refusal(EEXIST) }
            address.flags |= addresses[existing].flags & UInt32(IFA_F_SECONDARY)
            addresses[existing] = address
            return
        }
        if address.family == AF_INET && addresses.contains(where: {
            $0.interfaceIndex == address.interfaceIndex && $0.family == AF_INET && $0.prefixLength == address.prefixLength
                && Self.sameSubnet($0.bytes, address.bytes, address.prefixLength) }) {
            address.flags |= UInt32(IFA_F_SECONDARY)
        } else if address.prefixLength < (address.family == AF_INET ? 32 : 128) {
            routeTable.append(connectedRoute(address))
        }
        addresses.append(address)
    }

    private func deleteAddress(_ request: InterfaceAddress) throws(Refusal) {
        guard let i = addresses.firstIndex(where: {
            $0.interfaceIndex == request.interfaceIndex && $0.bytes == request.bytes && $0.prefixLength == request.prefixLength
        }) else { throw Refusal(EADDRNOTAVAIL) }
        let gone = addresses.remove(at: i)
        let device = gone.interfaceIndex
        routeTable.removeAll { $0.isKernelMade && $0 == connectedRoute(gone) }
        if gone.family == AF_INET && !gone.isSecondary {
            addresses.removeAll { $0.interfaceIndex == device && $0.family == AF_INET && $0.isSecondary
                && Self.sameSubnet($0.bytes, gone.bytes, gone.prefixLength) }
        }
        if gone.family == AF_INET && !addresses.contains(where: { $0.interfaceIndex == device && $0.family == AF_INET }) {
            routeTable.removeAll { $0.family == AF_INET && $0.outputIndex == device }
        }
    }

    private func newRoute(_ route: Route, flags: UInt16) throws(Refusal) {
        guard let index = route.outputIndex, let device = devices[index] else { throw Refusal(ENODEV) }
        if route.family == AF_INET && !device.flags.contains(.up) { throw Refusal(ENETDOWN, "Nexthop device is not up") }
        if let gateway = route.gateway, route.flags & Route.requestableFlags == 0,
           !routeTable.contains(where: { $0.outputIndex == index && $0.family == route.family && $0.gateway == nil
               && Self.sameSubnet($0.destination, gateway, $0.destinationLength) }) {
            throw Refusal(ENETUNREACH, "Nexthop has invalid gateway")
        }
        let sameKey = routeTable.filter { Self.sameKey($0, route) }
        if !sameKey.isEmpty && flags & NetlinkConstants.excl != 0 { throw Refusal(EEXIST) }
        if sameKey.contains(where: { $0.outputIndex == index && $0.gateway == route.gateway }) { throw Refusal(EEXIST) }
        if route.family == AF_INET && flags & NetlinkConstants.append == 0, let first = routeTable.firstIndex(where: { Self.sameKey($0, route) }) {
            routeTable.insert(route, at: first)
        } else {
            routeTable.append(route)
        }
    }

    private func deleteRoute(_ request: Route) throws(Refusal) {
        guard let i = routeTable.firstIndex(where: {
            Self.sameKey($0, request, metric: request.priority != nil)
                && (request.outputIndex == nil || $0.outputIndex == request.outputIndex)
                && (request.gateway == nil || $0.gateway == request.gateway)
        }) else { throw Refusal(ESRCH) }
        routeTable.remove(at: i)
    }

    /// Deleting a link: its addresses and routes go with it.
    func forgetAddressesAndRoutes(of index: Int32) {
        addresses.removeAll { $0.interfaceIndex == index }
        routeTable.removeAll { $0.outputIndex == index }
    }

    func connectedRoute(_ a: InterfaceAddress) -> Route {
        var destination = a.bytes
        for bit in Int(a.prefixLength)..<(destination.count * 8) { destination[bit / 8] &= ~(0x80 >> UInt8(bit % 8)) }
        var route = Route(family: a.family, destination: destination, destinationLength: a.prefixLength)
        route.protocol = UInt8(RTPROT_KERNEL)
        route.outputIndex = a.interfaceIndex
        if a.family == AF_INET {
            route.scope = UInt8(RT_SCOPE_LINK.rawValue)
            route.preferredSource = a.bytes
        } else {
            route.priority = 256
        }
        return route
    }

    private static func sameKey(_ a: Route, _ b: Route, metric: Bool = true) -> Bool {
        a.family == b.family && a.table == b.table && a.destination == b.destination
            && a.destinationLength == b.destinationLength && a.tos == b.tos && (!metric || (a.priority ?? 0) == (b.priority ?? 0))
    }

    static func sameSubnet(_ a: [UInt8], _ b: [UInt8], _ length: UInt8) -> Bool {
        guard a.count == b.count else { return false }
        for bit in 0..<min(Int(length), a.count * 8) where (a[bit / 8] ^ b[bit / 8]) & (0x80 >> UInt8(bit % 8)) != 0 { return false }
        return true
    }

    /// One RTM_NEWROUTE, as rtm_fill_info / rt6_fill_node send it.
    func routeMessage(_ route: Route) -> NetlinkRequest {
        route.request(UInt16(RTM_NEWROUTE), flags: 0)
    }
}
