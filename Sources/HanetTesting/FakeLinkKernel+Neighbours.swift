import Glibc
import CLinuxNet
import HanetNetlink
import HanetLinks

/// The bridge forwarding database side (AF_BRIDGE neighbour messages):
/// what `BridgeFDB` reads, deletes and bulk-flushes.
extension FakeLinkKernel {
    /// An RTM_GETNEIGH / RTM_NEWNEIGH / RTM_DELNEIGH request, read raw (ndmsg + NDA_*).
    struct NeighbourRequest {
        var header: ndmsg
        var flags: UInt16
        var mac: MACAddress?
        var master: Int32?
        var vlan: UInt16?
        var flagsMask: UInt8?
        var stateMask: UInt16?

        var isDump: Bool { flags & NetlinkConstants.dump == NetlinkConstants.dump }
        var isBulk: Bool { flags & UInt16(NLM_F_BULK) != 0 }

        init(_ message: NetlinkMessage) throws(Refusal) {
            do {
                header = try message.header(as: ndmsg.self, context: "ndmsg")
                flags = message.flags
                let attributes = try message.attributes(after: MemoryLayout<ndmsg>.size, context: "neighbour request")
                if let address = attributes[UInt16(NDA_LLADDR)] {
                    guard let parsed = MACAddress(bytes: address.value) else { throw Refusal(EINVAL, "invalid address") }
                    mac = parsed
                }
                master = try attributes[UInt16(NDA_MASTER)]?.i32()
                vlan = try attributes[UInt16(NDA_VLAN)]?.u16()
                flagsMask = try attributes[UInt16(NDA_NDM_FLAGS_MASK)]?.u8()
                stateMask = try attributes[UInt16(NDA_NDM_STATE_MASK)]?.u16()
            } catch let refusal as Refusal {
                throw refusal
            } catch {
                throw Refusal(EINVAL, "\(error)")
            }
        }

        func objectName(_ type: FakeKernelRequest.MessageType, in kernel: FakeLinkKernel) -> String? {
            let index = type == .getNeigh ? master : header.ndm_ifindex
            guard let index, index != 0 else { return nil }
            return kernel.devices[index]?.name.value ?? "ifindex \(index)"
        }

        /// As the `bridge fdb` command that sends it.
        func summary(_ type: FakeKernelRequest.MessageType, in kernel: FakeLinkKernel) -> String {
            let device = objectName(type, in: kernel) ?? "?"
            let vlanWords = vlan.map { " vlan \($0)" } ?? ""
            switch type {
            case .getNeigh:
                return "fdb show" + (master != nil ? " br \(device)" : "")
            case .delNeigh where isBulk:
                return "fdb flush dev \(device)"
            case .delNeigh:
                return "fdb del \(mac?.description ?? "?") dev \(device)\(vlanWords)"
            default:
                return "fdb add \(mac?.description ?? "?") dev \(device)\(vlanWords)"
            }
        }
    }

    func perform(_ request: NeighbourRequest, _ type: FakeKernelRequest.MessageType,
                 _ message: NetlinkMessage) throws(Refusal) -> [UInt8] {
        switch type {
        case .getNeigh:
            // Only AF_BRIDGE tables are modelled: other families dump nothing.
            guard request.header.ndm_family == UInt8(AF_BRIDGE) else { return replyDatagram([], to: message, dump: true) }
            // valid_fdb_dump_legacy: without NETLINK_GET_STRICT_CHK (hanet's
            // sockets do not set it) an ndmsg with one u32 attribute is
            // accepted and the attribute never read, so NDA_MASTER filters
            // nothing: every device's entries come back, and the caller must
            // keep its bridge's own (those carrying its NDA_MASTER).
            return replyDatagram(fdb.map(neighbourMessage), to: message, dump: true)
        case .delNeigh where request.isBulk:
            try flush(request)
        case .delNeigh:
            // rtnl_fdb_del: NTF_MASTER (or no flag) goes to the port's bridge,
            // NTF_SELF to the device's own table; nobody else can delete.
            guard let mac = request.mac else { throw Refusal(EINVAL, "invalid address") }
            let index = request.header.ndm_ifindex
            guard let device = devices[index] else { throw Refusal(ENODEV) }
            let flags = request.header.ndm_flags
            let bridge: Int32?
            if (flags == 0 || flags & UInt8(NTF_MASTER) != 0), let master = device.masterIndex, devices[master]?.isBridge == true {
                bridge = master
            } else if flags & UInt8(NTF_SELF) != 0 {
                bridge = nil
            } else {
                throw Refusal(EOPNOTSUPP)
            }
            guard let position = fdb.firstIndex(where: {
                $0.portIndex == index && $0.bridgeIndex == bridge && $0.mac == mac && $0.vlan == request.vlan
            }) else { throw Refusal(ENOENT) }
            fdb.remove(at: position)
        default:
            // br_fdb_add: `bridge fdb add MAC dev PORT master [static]`.
            guard let mac = request.mac else { throw Refusal(EINVAL, "invalid address") }
            guard let port = devices[request.header.ndm_ifindex] else { throw Refusal(ENODEV) }
            guard let bridge = port.masterIndex, devices[bridge]?.isBridge == true else { throw Refusal(EINVAL) }
            let entry = FDBEntry(mac: mac, portIndex: port.index, bridgeIndex: bridge, vlan: request.vlan,
                                 state: request.header.ndm_state, flags: request.header.ndm_flags)
            if let existing = fdb.firstIndex(where: { $0.portIndex == port.index && $0.mac == mac && $0.vlan == request.vlan }) {
                if request.flags & NetlinkConstants.excl != 0 { throw Refusal(EEXIST) }
                fdb[existing] = entry
            } else {
                fdb.append(entry)
            }
        }
        return replyDatagram([], to: message, dump: false)
    }

    /// br_fdb_delete_bulk (Linux 5.19+): every entry of the bridge (or of
    /// one port) whose flags and state, under the masks, equal the
    /// request's. Older kernels want an address and refuse with EINVAL.
    private func flush(_ request: NeighbourRequest) throws(Refusal) {
        guard bulkFDBDelete else { throw Refusal(EINVAL, "invalid address") }
        let target = request.header.ndm_ifindex
        guard let device = devices[target] else { throw Refusal(ENODEV) }
        let flagsMask = request.flagsMask ?? 0
        let stateMask = request.stateMask ?? 0
        // NTF_SELF / NTF_MASTER only say where the request goes.
        let wantedFlags = request.header.ndm_flags & ~UInt8(NTF_SELF | NTF_MASTER) & flagsMask
        let wantedState = request.header.ndm_state & stateMask
        fdb.removeAll { entry in
            let inScope = device.isBridge ? entry.bridgeIndex == target : entry.bridgeIndex != nil && entry.portIndex == target
            return inScope && (request.vlan == nil || entry.vlan == request.vlan)
                && entry.flags & flagsMask == wantedFlags && entry.state & stateMask == wantedState
        }
    }
}
