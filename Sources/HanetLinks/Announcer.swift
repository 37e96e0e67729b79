import Glibc
import CLinuxNet

/// Sends "I am here" frames for MAC addresses out of one interface, so
/// physical switches move those addresses to this port at once.
///
/// The frames are RARP requests, as QEMU sends after live migration
/// (`qemu_announce_self`): broadcast, source and target hardware address =
/// the announced MAC, no IP involved. Every switch on the path learns the
/// source MAC from them; no host answers them. Written on an AF_PACKET
/// socket bound to the uplink, so they leave the host even though the MAC
/// belongs to a guest behind the bridge.
public final class Announcer {
    private let fd: Int32
    private let ifindex: Int32
    /// The uplink the frames leave by.
    public let interface: InterfaceName

    /// A socket call that failed, with the interface and errno.
    public struct Failure: Error, CustomStringConvertible {
        /// The call: `socket(AF_PACKET)`, `bind`, or `send RARP for <mac>`.
        public let operation: String
        /// The interface's name.
        public let interface: String
        /// Positive errno value.
        public let errno: Int32
        public var description: String { "\(operation) on \(interface): \(String(cString: strerror(errno)))" }
    }

    /// Opens a send-only `AF_PACKET` socket bound to ifindex `index`, which
    /// must be `interface`'s (it is not looked up here). Needs CAP_NET_RAW.
    public init(interface: InterfaceName, index: Int32) throws(Failure) {
        self.interface = interface
        self.ifindex = index
        // Protocol 0: a send-only socket. Binding one that receives a
        // protocol registers a packet hook and waits for synchronize_net
        // (5-25 ms measured), delaying the first announcement after unblock.
        fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(operation: "socket(AF_PACKET)", interface: interface.value, errno: errno) }
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = 0
        address.sll_ifindex = index
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw Failure(operation: "bind", interface: interface.value, errno: code)
        }
    }

    deinit { close(fd) }

    /// The 60-byte RARP frame (Ethernet minimum without FCS) for `mac`.
    public static func frame(for mac: MACAddress) -> [UInt8] {
        var frame: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + mac.array + [0x80, 0x35]
        frame += [0x00, 0x01,   // hardware type: Ethernet
                  0x08, 0x00,   // protocol type: IPv4
                  6, 4,         // address lengths
                  0x00, 0x03]   // opcode: reverse request
        frame += mac.array + [0, 0, 0, 0] + mac.array + [0, 0, 0, 0]
        frame += [UInt8](repeating: 0, count: 60 - frame.count)
        return frame
    }

    /// One frame per MAC.
    public func announce(_ macs: [MACAddress]) throws(Failure) {
        for mac in macs {
            let frame = Self.frame(for: mac)
            let sent = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard sent == frame.count else { throw Failure(operation: "send RARP for \(mac)", interface: interface.value, errno: errno) }
        }
    }
}
