/// A bridge port that belongs to a virtual machine, recognised by name.
///
/// Xen's backend names a guest's Nth interface `vif<domid>.<N>` (dom0's own
/// `vif0.N` in old Xen); libvirt/QEMU use `vnetN`, plain QEMU `tapN`.
public enum GuestPort: Equatable, Sendable, CustomStringConvertible {
    /// `vif<domain>.<device>`: Xen netback's port for the guest's `device`-th interface.
    case xen(domain: UInt32, device: UInt32)
    /// `tap<N>`: a tap device as plain QEMU names it.
    case tap(UInt32)
    /// `vnet<N>`: a tap device as libvirt names it.
    case vnet(UInt32)

    /// Recognises a guest port by name; nil for any other name, including
    /// `vif<D>.<N>-emu` (the emulated NIC of a Xen HVM guest).
    public init?(name: String) {
        if name.hasPrefix("vif") {
            let rest = name.dropFirst(3)
            let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let domain = Self.number(parts[0]), let device = Self.number(parts[1]) else { return nil }
            self = .xen(domain: domain, device: device)
        } else if name.hasPrefix("vnet"), let n = Self.number(name.dropFirst(4)) {
            self = .vnet(n)
        } else if name.hasPrefix("tap"), let n = Self.number(name.dropFirst(3)) {
            self = .tap(n)
        } else {
            return nil
        }
    }

    /// Decimal digits only: `vif1.0` yes, `vif+1.0` or `vif.0` no.
    private static func number(_ text: Substring) -> UInt32? {
        guard !text.isEmpty, text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(text)
    }

    /// Xen dom0's own ports (`vif0.N`) carry the host's traffic, not a guest's.
    public var isXenDom0: Bool { if case .xen(domain: 0, _) = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .xen(let d, let n): return "vif\(d).\(n)"
        case .tap(let n): return "tap\(n)"
        case .vnet(let n): return "vnet\(n)"
        }
    }
}
