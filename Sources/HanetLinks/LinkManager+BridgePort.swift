import Glibc
import CLinuxNet
import HanetNetlink

extension LinkManager {
    /// Sets one bridge port's state. Equivalent to:
    /// `bridge link set dev NAME state N`.
    ///
    /// The kernel refuses with EBUSY while the bridge runs kernel STP (STP
    /// owns the states then), and with ENETDOWN for a port that is down, or
    /// has no carrier unless the state is `disabled`.
    public func setBridgePortState(_ state: BridgePortState, portIndex: Int32, name: InterfaceName) throws {
        try connection.execute(Self.portStateRequest(state, portIndex: portIndex), operation: "RTM_SETLINK", object: name.value)
    }

    /// The same state on many ports, in as few round trips as the socket
    /// allows; each port's refusal (nil: done), in the order given. A host
    /// with a thousand guests pays one datagram per 128 ports, not a
    /// thousand request/ACK pairs.
    public func setBridgePortStates(_ state: BridgePortState, ports: [(index: Int32, name: InterfaceName)]) throws -> [NetlinkError?] {
        try connection.executeEach(ports.map {
            NetlinkConnection.BatchItem(Self.portStateRequest(state, portIndex: $0.index), operation: "RTM_SETLINK", object: $0.name.value)
        })
    }

    /// AF_BRIDGE setlink (rtnl_bridge_setlink -> br_setlink), with the port
    /// options nested in IFLA_PROTINFO, as iproute2's bridge sends it.
    static func portStateRequest(_ state: BridgePortState, portIndex: Int32) -> NetlinkRequest {
        var request = bridgeSetlinkRequest(portIndex: portIndex)
        request.nest(UInt16(IFLA_PROTINFO)) { info in
            info.attribute(UInt16(IFLA_BRPORT_STATE), u8: state.rawValue)
        }
        return request
    }

    /// An AF_BRIDGE RTM_SETLINK for one port, its options still to add:
    /// what `bridge link set` and `bridge vlan add` send.
    static func bridgeSetlinkRequest(portIndex: Int32, type: Int = RTM_SETLINK) -> NetlinkRequest {
        var request = NetlinkRequest(type: UInt16(type), flags: 0)
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_BRIDGE)
        header.ifi_index = portIndex
        request.append(header: header)
        return request
    }
}
