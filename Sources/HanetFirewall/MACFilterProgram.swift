import HanetLinks

/// A classic BPF program for xt_bpf (`iptables -m bpf --bytecode`) that
/// matches a frame whose Ethernet source or destination lies in one
/// `MACPrefix`: how the iptables backend selects guests by MAC.
///
/// xt_mac matches the source only and ip_tables has no destination MAC
/// match at all; xt_bpf runs the program on the skb and, with br_netfilter,
/// a bridged frame still carries its Ethernet header, which cBPF reaches at
/// the negative offset `SKF_LL_OFF` (the kernel's `bpf_internal_load_pointer_neg_helper`
/// resolves it from the MAC header, the same for IPv4 and IPv6). For
/// `52:54:00:aa:bb:cc` as destination:
///
/// ```
/// ld  [SKF_LL_OFF+0]      ; bytes 0-3 of the destination, big-endian
/// jeq #0x525400aa, 0, 3
/// ldh [SKF_LL_OFF+4]      ; bytes 4-5
/// jeq #0xbbcc, 0, 1
/// ret #1                  ; match
/// ret #0
/// ```
///
/// A prefix adds `and #mask` after a load whose bytes are not all fixed,
/// and leaves out the halfword when the prefix ends within the first four
/// bytes (`/8` to `/32`). At most 8 instructions: well under xt_bpf's 64.
public struct MACFilterProgram: Hashable, Sendable, CustomStringConvertible {
    /// `struct sock_filter`: one cBPF instruction.
    public struct Instruction: Hashable, Sendable {
        public var code: UInt16
        public var jt: UInt8
        public var jf: UInt8
        public var k: UInt32

        public init(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32) {
            self.code = code
            self.jt = jt
            self.jf = jf
            self.k = k
        }
    }

    /// Which address of the Ethernet header the program compares.
    public enum Field: Hashable, Sendable {
        /// `ether saddr`: bytes 6-11, what a guest sends.
        case source
        /// `ether daddr`: bytes 0-5, what is sent to a guest.
        case destination

        var offset: UInt32 { self == .destination ? 0 : 6 }
    }

    /// The instructions, in order.
    public let instructions: [Instruction]

    /// `SKF_LL_OFF` (-0x200000) as the unsigned `k` of an absolute load.
    public static let linkLayerOffset = UInt32(bitPattern: -0x20_0000)
    /// `BPF_LD|BPF_W|BPF_ABS`, `BPF_LD|BPF_H|BPF_ABS`.
    static let loadWord: UInt16 = 0x20, loadHalf: UInt16 = 0x28
    /// `BPF_ALU|BPF_AND|BPF_K`.
    static let and: UInt16 = 0x54
    /// `BPF_JMP|BPF_JEQ|BPF_K`.
    static let jumpIfEqual: UInt16 = 0x15
    /// `BPF_RET|BPF_K`.
    static let `return`: UInt16 = 0x06
    /// `XT_BPF_MAX_NUM_INSTR`.
    public static let maxInstructions = 64

    /// Matches frames whose `field` equals `mac` in its fixed bits.
    public init(_ field: Field, in mac: MACPrefix) {
        let value = mac.address.integerValue
        let mask = mac.mask
        // (load, offset, value, mask) per part with fixed bits.
        let parts: [(UInt16, UInt32, UInt32, UInt32)] = [
            (Self.loadWord, 0, UInt32(truncatingIfNeeded: value >> 16), UInt32(truncatingIfNeeded: mask >> 16)),
            (Self.loadHalf, 4, UInt32(truncatingIfNeeded: value & 0xffff), UInt32(truncatingIfNeeded: mask & 0xffff)),
        ].filter { $0.3 != 0 }
        var checks: [Instruction] = []
        // Each part: load, optional and, jeq; the jeq's jf is patched to reach `ret #0`.
        var jumps: [Int] = []
        for (load, offset, partValue, partMask) in parts {
            checks.append(Instruction(code: load, k: Self.linkLayerOffset &+ field.offset &+ offset))
            let full: UInt32 = load == Self.loadWord ? 0xffff_ffff : 0xffff
            if partMask != full { checks.append(Instruction(code: Self.and, k: partMask)) }
            jumps.append(checks.count)
            checks.append(Instruction(code: Self.jumpIfEqual, k: partValue))
        }
        let failure = checks.count + 1 // after `ret #1`
        for index in jumps { checks[index].jf = UInt8(failure - index - 1) }
        instructions = checks + [Instruction(code: Self.return, k: 1), Instruction(code: Self.return, k: 0)]
    }

    /// What `iptables -m bpf --bytecode` takes and `iptables -S` prints:
    /// `6,32 0 0 4292870144,...` (count, then `code jt jf k` per instruction).
    public var bytecode: String {
        ([String(instructions.count)] + instructions.map { "\($0.code) \($0.jt) \($0.jf) \($0.k)" }).joined(separator: ",")
    }

    /// `-m bpf --bytecode "..."`.
    public var description: String { "-m bpf --bytecode \"\(bytecode)\"" }
}
