import Glibc
import CLinuxNet
import HanetNetlink

extension LinkManager {
    /// Every route of one family in every table: one dump. Equivalent to:
    /// `ip [-6] route show table all`.
    public func routes(family: Int32) throws -> [Route] {
        var request = NetlinkRequest(type: UInt16(RTM_GETROUTE), flags: 0)
        var header = rtmsg()
        header.rtm_family = UInt8(family)
        request.append(header: header)
        // A non-strict dump ignores the header's filters: every table comes.
        return try connection.dump(request, operation: "RTM_GETROUTE", object: family == AF_INET ? "inet" : "inet6")
            .compactMap { try Route(message: $0) }.filter { $0.family == family }
    }

    /// Adds `route` on its `outputIndex`. Another route with the same key
    /// (destination, TOS, metric, table) on another device is allowed: IPv4
    /// puts the new one first (NLM_F_CREATE without NLM_F_EXCL or
    /// NLM_F_APPEND, as `ip route prepend`), so it takes over at once; IPv6
    /// keeps both (as ECMP siblings when both have a gateway). The very same
    /// route again is EEXIST, which this reports as false.
    /// Equivalent to: `ip route prepend ROUTE`.
    @discardableResult
    public func addRoute(_ route: Route) throws -> Bool {
        let request = route.request(UInt16(RTM_NEWROUTE), flags: NetlinkConstants.create)
        do {
            try connection.execute(request, operation: "RTM_NEWROUTE", object: route.description)
            return true
        } catch let error as NetlinkError where error.errno == EEXIST {
            return false
        }
    }

    /// Deletes exactly `route` (its device, gateway, metric, table); false
    /// when there is no such route (ESRCH, ENOENT).
    /// Equivalent to: `ip route del ROUTE`.
    @discardableResult
    public func deleteRoute(_ route: Route) throws -> Bool {
        let request = route.request(UInt16(RTM_DELROUTE), flags: 0)
        do {
            try connection.execute(request, operation: "RTM_DELROUTE", object: route.description)
            return true
        } catch let error as NetlinkError where error.errno == ESRCH || error.errno == ENOENT {
            return false
        }
    }
}
