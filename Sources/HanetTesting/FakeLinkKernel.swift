import Glibc
import CLinuxNet
import HanetNetlink
import HanetLinks

/// A stateful fake of the kernel's rtnetlink side: links and bridge
/// forwarding entries, for unit tests of code built on `LinkManager` and
/// `BridgeFDB` (hanet's own host logic, or your tools) without root or a
/// network namespace.
///
/// Where `FakeNetlinkTransport` replays a script (good for golden bytes of
/// one request), this one *answers*: it keeps a model of the interfaces
/// (index, name, kind with its options, address, MTU, up/NOARP/MULTICAST,
/// master, VLAN parent, alias, carrier) and changes it the way the kernel
/// does, so a test can run a whole start/stop against it and then look at
/// the result instead of predicting every message in advance.
///
/// It enforces the kernel rules the host logic relies on, each checked
/// against the kernel sources (the errno and extended-ACK text are the
/// kernel's own, so error mapping is exercised too):
/// - RTM_GETLINK by name or index for a missing link: ENODEV.
/// - RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL for an existing name: EEXIST;
///   without NLM_F_CREATE for a missing one: ENODEV; an unknown kind:
///   EOPNOTSUPP "Unknown device type" (`supportedKinds`).
/// - Bond enslave of a link that is up: EPERM "Device can not be enslaved
///   while up" (bond_enslave, up to 6.x); the bond opens the slave, gives it
///   its MTU and address; releasing closes it and restores both.
/// - Bond mode change with slaves: ENOTEMPTY, while up: EBUSY (bond_opt_check_deps).
/// - Setting a master moves a port from its old master first (do_set_master);
///   a master that is not a bridge or bond: EOPNOTSUPP; a bridge into a bridge: ELOOP.
/// - A bridge follows its lowest port MTU unless an MTU was set after
///   creation (br_mtu_auto_adjust).
/// - Deleting a bridge or bond releases its ports; deleting a link deletes
///   the VLANs on it and a veth's peer; a physical NIC cannot be deleted
///   (EOPNOTSUPP).
/// - RTM_GETNEIGH dump (AF_BRIDGE) returns every device's entries, bridge
///   ports' and devices' own (VXLAN, NIC): a non-strict socket's NDA_MASTER
///   is not read (valid_fdb_dump_legacy). RTM_DELNEIGH deletes one entry of
///   the port's bridge (NTF_MASTER) or the device's own table (NTF_SELF),
///   ENOENT if absent; with NLM_F_BULK, every entry of the bridge whose
///   flags/state match the masks (Linux 5.19+; EINVAL when `bulkFDBDelete`
///   is false, as an older kernel answers).
///
/// Addresses and routes: see FakeLinkKernel+Routes.
///
/// Not modelled: a bridge's MAC following its ports,
/// STP port states, 802.3ad aggregation, namespaces (a veth peer sent to
/// another namespace simply does not appear here).
///
/// Requests are handled synchronously in `send`; replies wait for `receive`.
/// Not thread-safe, like a socket used from one thread.
public final class FakeLinkKernel: NetlinkTransport {
    public let portID: UInt32
    /// Every request received, in order, decoded (see `FakeKernelRequest`).
    public internal(set) var requests: [FakeKernelRequest] = []
    /// Kinds this "kernel" has drivers for; others are EOPNOTSUPP
    /// "Unknown device type", as with a missing module.
    public var supportedKinds: Set<String> = ["bridge", "bond", "vlan", "veth", "dummy"]
    /// Bulk FDB deletion (NLM_F_BULK), Linux 5.19+. False answers a bulk
    /// request with EINVAL, as older kernels do.
    public var bulkFDBDelete = true
    /// The next this many dumps are flagged NLM_F_DUMP_INTR (raced a change).
    public var interruptNextDumps = 0

    var devices: [Int32: FakeLinkDevice] = [:]
    var fdb: [FDBEntry] = []
    /// IPv4/IPv6 addresses, by device (see FakeLinkKernel+Routes).
    var addresses: [InterfaceAddress] = []
    /// Every table's routes, in dump order.
    var routeTable: [Route] = []
    var faults: [FakeKernelFault] = []
    var nextIndex: Int32 = 1
    var enslaveCounter = 0
    private var outbox: [[UInt8]] = []

    /// - Parameter loopback: start with `lo` (ifindex 1), as every namespace does.
    public init(portID: UInt32 = 4242, loopback: Bool = true) {
        self.portID = portID
        if loopback {
            let lo = FakeLinkDevice(index: 1, name: "lo", kind: nil, mac: MACAddress(0, 0, 0, 0, 0, 0), mtu: 65536,
                                    flags: [.up, .loopback], carrier: true)
            devices[1] = lo
            nextIndex = 2
        }
    }

    // MARK: NetlinkTransport

    public func send(_ datagram: [UInt8]) throws(NetlinkError) {
        let messages: [NetlinkMessage]
        do {
            messages = try NetlinkMessage.split(datagram: datagram[...])
        } catch {
            throw NetlinkError(operation: "fake kernel", errno: EINVAL, kernelMessage: error.description)
        }
        for message in messages { outbox.append(answer(message)) }
    }

    public func receive() throws(NetlinkError) -> [UInt8] {
        guard !outbox.isEmpty else {
            // A real socket would block forever here: fail the test instead.
            throw NetlinkError(operation: "fake kernel", errno: EAGAIN, kernelMessage: "nothing left to receive")
        }
        return outbox.removeFirst()
    }

    /// With a deadline and nothing queued, "nothing arrived by then" at
    /// once: a reply the kernel never sends shows as the caller's timeout
    /// (ETIMEDOUT), without sleeping.
    public func receive(deadline: ContinuousClock.Instant?) throws(NetlinkError) -> [UInt8]? {
        if deadline != nil && outbox.isEmpty { return nil }
        return try receive()
    }

    // MARK: the host as a test finds it

    /// Puts a link in place as if it had been there before the test: no
    /// request is recorded and no rule is checked (a test setting up an
    /// impossible host gets one). `kind` nil is a physical NIC.
    /// - Returns: the new link's ifindex.
    @discardableResult
    public func addLink(_ name: InterfaceName, kind: LinkKind? = nil, mac: MACAddress? = nil, mtu: UInt32? = nil,
                        up: Bool = false, carrier: Bool = true, master: InterfaceName? = nil,
                        parent: InterfaceName? = nil, alias: String? = nil) -> Int32 {
        precondition(index(named: name.value) == nil, "fake kernel: \(name) exists already")
        let parentIndex = parent.map { existing($0) }
        let newIndex = nextIndex
        nextIndex += 1
        var device = FakeLinkDevice(index: newIndex, name: name, kind: kind?.withKernelDefaults,
                                    mac: mac ?? Self.generatedMAC(newIndex), mtu: mtu ?? 1500,
                                    flags: FakeLinkDevice.etherFlags, carrier: carrier, parentIndex: parentIndex, alias: alias)
        if up { device.flags.insert(.up) }
        if case .bond(let bond)? = kind { device.primaryIndex = bond.primaryIndex }
        devices[newIndex] = device
        if let master {
            attach(newIndex, to: existing(master)) // a bond opens its slaves, whatever `up` said
        }
        return newIndex
    }

    /// Cable in or out: the link's physical carrier (a bond slave's MII status follows).
    public func setCarrier(_ name: InterfaceName, _ on: Bool) {
        devices[existing(name)]?.carrier = on
        devices[existing(name)]?.portDisabled = false // the bridge's carrier check
    }

    /// Someone else ran `ip link set NAME up|down`: not recorded. A bridge
    /// port's disabled state is lifted, as the bridge does on NETDEV_UP/DOWN.
    public func setUp(_ name: InterfaceName, _ up: Bool) {
        let index = existing(name)
        if up { devices[index]?.flags.insert(.up) } else { devices[index]?.flags.remove(.up) }
        devices[index]?.portDisabled = false
    }

    /// Someone else ran `ip link set NAME master M` / `nomaster`: not
    /// recorded, no rule checked, but the kernel's side effects apply.
    public func setMaster(_ name: InterfaceName, _ master: InterfaceName?) {
        let index = existing(name)
        release(index)
        if let master { attach(index, to: existing(master)) }
    }

    /// Someone else deleted the link (or the NIC was unplugged): the same
    /// cascade as RTM_DELLINK, not recorded.
    public func removeLink(_ name: InterfaceName) {
        destroy(existing(name))
    }

    /// Every link as RTM_GETLINK reports it now, by ifindex.
    public var links: [Link] { devices.keys.sorted().compactMap { reported($0) } }

    public func link(named name: InterfaceName) -> Link? {
        index(named: name.value).flatMap { reported($0) }
    }

    public func link(index: Int32) -> Link? { reported(index) }

    // MARK: forwarding database

    /// Adds an entry to the FDB of `port`'s bridge. Defaults describe a
    /// learned entry (NUD_REACHABLE, NTF_MASTER); a port's own address is
    /// `state: NUD_PERMANENT`, a static one `NUD_NOARP`.
    public func addFDBEntry(_ mac: MACAddress, port: InterfaceName, vlan: UInt16? = nil,
                            state: UInt16 = UInt16(NUD_REACHABLE), flags: UInt8 = UInt8(NTF_MASTER)) {
        let portIndex = existing(port)
        guard let bridge = devices[portIndex]?.masterIndex, devices[bridge]?.isBridge == true else {
            preconditionFailure("fake kernel: \(port) is not a bridge port")
        }
        fdb.append(FDBEntry(mac: mac, portIndex: portIndex, bridgeIndex: bridge, vlan: vlan, state: state, flags: flags))
    }

    /// Puts an address on a device, as `ip addr add` would (scope global
    /// unless told; IFA_F_PERMANENT, as for any address added by hand),
    /// with the connected route the kernel makes for a global one.
    public func addAddress(_ text: String, prefixLength: UInt8, device: InterfaceName,
                           scope: UInt8 = 0, flags: UInt32 = UInt32(IFA_F_PERMANENT)) {
        let family = text.contains(":") ? AF_INET6 : AF_INET
        var bytes = [UInt8](repeating: 0, count: family == AF_INET ? 4 : 16)
        precondition(inet_pton(family, text, &bytes) == 1, "fake kernel: bad address \(text)")
        let address = InterfaceAddress(interfaceIndex: existing(device), family: family, bytes: bytes,
                                       prefixLength: prefixLength, scope: scope, flags: flags)
        addresses.append(address)
        if address.isGlobal && prefixLength < (family == AF_INET ? 32 : 128)
            && !routeTable.contains(connectedRoute(address)) {
            routeTable.append(connectedRoute(address))
        }
    }

    /// Adds an entry to a device's own table (`bridge fdb add MAC dev DEV
    /// self`): a VXLAN's remote, a NIC's address filter. No bridge owns it,
    /// so it is reported without NDA_MASTER, and a bridge's flush leaves it.
    public func addSelfFDBEntry(_ mac: MACAddress, device: InterfaceName, vlan: UInt16? = nil,
                                state: UInt16 = UInt16(NUD_PERMANENT), flags: UInt8 = UInt8(NTF_SELF)) {
        fdb.append(FDBEntry(mac: mac, portIndex: existing(device), vlan: vlan, state: state, flags: flags))
    }

    /// Entries of one bridge, as `bridge fdb show br BRIDGE` lists them.
    public func fdbEntries(bridge: InterfaceName) -> [FDBEntry] {
        guard let index = index(named: bridge.value) else { return [] }
        return fdb.filter { $0.bridgeIndex == index }
    }

    /// Every entry of every device, as an AF_BRIDGE dump returns them.
    public var allFDBEntries: [FDBEntry] { fdb }

    // MARK: request log

    /// The requests that change something, accepted or refused.
    public var changes: [FakeKernelRequest] { requests.filter(\.isChange) }

    /// `FakeKernelRequest.line` of each change request from `mark` (a
    /// former `requests.count`) on: what a test compares against.
    public func changeLines(since mark: Int = 0) -> [String] {
        requests[min(mark, requests.count)...].filter(\.isChange).map(\.line)
    }

    public func clearRequests() { requests.removeAll() }

    // MARK: fault injection

    /// Refuses the next `times` requests of `type` (nil: any) about
    /// `object` (nil: any) for which `condition` holds, with `errno` and the
    /// extended-ACK `message`, before the model sees them.
    public func failNext(_ type: FakeKernelRequest.MessageType?, object: InterfaceName? = nil, errno: Int32,
                         message: String? = nil, times: Int = 1,
                         where condition: ((FakeKernelRequest) -> Bool)? = nil) {
        faults.append(FakeKernelFault(type: type, object: object?.value, errno: errno, message: message,
                                      times: times, where: condition))
    }

    public func failNext(_ fault: FakeKernelFault) { faults.append(fault) }

    /// Disarms every fault: with `failNext(nil, errno:, times: .max)` a test
    /// freezes the kernel as an agent killed at that point leaves it, then
    /// lets the next action run.
    public func clearFaults() { faults.removeAll() }

    /// Faults armed and not yet triggered: a test can check that the path
    /// it meant to break was taken.
    public var armedFaults: Int { faults.reduce(0) { $0 + $1.remaining } }

    // MARK: helpers

    func index(named name: String) -> Int32? {
        devices.values.first { $0.name.value == name }?.index
    }

    private func existing(_ name: InterfaceName) -> Int32 {
        guard let index = index(named: name.value) else { preconditionFailure("fake kernel: no link \(name)") }
        return index
    }

    /// A locally administered address derived from the ifindex: stable
    /// across runs, so tests can name it.
    public static func generatedMAC(_ index: Int32) -> MACAddress {
        MACAddress(0x02, 0xfa, 0xce, 0x00, UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index))
    }
}
