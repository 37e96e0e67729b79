// Shared by every fuzz harness: compiled into each harness's module (see
// fuzz/run), so it sees that module's internal API, and it must not name
// anything outside HanetNetlink.
//
// One binary per module serves several targets: the target is the name the
// binary was started by (.build/fuzz/<target> is a link to it), so a crash
// reproduces with `.build/fuzz/<target> crash-file`.
import Glibc
#if !FUZZ_IN_HANETNETLINK
import HanetNetlink
#endif

nonisolated(unsafe) var fuzzTarget: ((_ bytes: [UInt8]) -> Void)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    let invoked = argv.pointee?.pointee.map { String(cString: $0) } ?? ""
    let name = String(invoked.split(separator: "/").last ?? "")
    guard let target = fuzzTargets[name] else {
        let known = fuzzTargets.keys.sorted().joined(separator: ", ")
        printError("fuzz: started as '\(name)': expected one of \(known) (a link to this binary)")
        exit(2)
    }
    fuzzTarget = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    fuzzTarget?(bytes)
    return 0
}

/// Inputs that answer several requests are datagrams separated by this
/// marker (also in each target's dictionary, so mutations keep it).
let datagramSeparator: [UInt8] = Array("~DG~".utf8)

func datagrams(_ bytes: [UInt8]) -> [[UInt8]] {
    var parts: [[UInt8]] = []
    var start = 0
    var index = 0
    let marker = datagramSeparator
    while index + marker.count <= bytes.count {
        if bytes[index] == marker[0] && Array(bytes[index..<index + marker.count]) == marker {
            parts.append(Array(bytes[start..<index]))
            index += marker.count
            start = index
        } else {
            index += 1
        }
    }
    parts.append(Array(bytes[start...]))
    return parts
}

/// A kernel that answers each receive with the next datagram of the input.
/// Messages whose sequence number is 0 get the sequence of the last request
/// (so seeds need not know it); any other value is left for the connection
/// to skip, as it skips stale replies from a real kernel.
final class FuzzTransport: NetlinkTransport {
    let portID: UInt32 = 4242
    private var replies: [[UInt8]]
    private var sequence: UInt32 = 0

    init(_ replies: [[UInt8]]) { self.replies = replies }

    func send(_ datagram: [UInt8]) throws(NetlinkError) {
        guard datagram.count >= 12 else { return }
        sequence = UInt32(datagram[8]) | UInt32(datagram[9]) << 8 | UInt32(datagram[10]) << 16 | UInt32(datagram[11]) << 24
    }

    func receive() throws(NetlinkError) -> [UInt8] {
        guard !replies.isEmpty else {
            throw NetlinkError(operation: "fuzz kernel", errno: EAGAIN, kernelMessage: "input exhausted")
        }
        var datagram = replies.removeFirst()
        var offset = 0
        while offset + 16 <= datagram.count {
            let length = Int(datagram[offset]) | Int(datagram[offset + 1]) << 8 | Int(datagram[offset + 2]) << 16 | Int(datagram[offset + 3]) << 24
            if datagram[(offset + 8)..<(offset + 12)].allSatisfy({ $0 == 0 }) {
                withUnsafeBytes(of: sequence.littleEndian) { raw in
                    for index in 0..<4 { datagram[offset + 8 + index] = raw[index] }
                }
            }
            guard length >= 16 else { break }
            offset += (length + 3) & ~3
        }
        return datagram
    }
}

/// A connection whose kernel is the input.
func fuzzConnection(_ bytes: [UInt8]) -> NetlinkConnection {
    NetlinkConnection(transport: FuzzTransport(datagrams(bytes)), firstSequence: 1)
}

/// Errors are the expected outcome of most inputs: render them (their
/// descriptions are code too) and go on.
@inline(never)
func absorb(_ error: any Error) {
    blackHole(String(describing: error))
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// The property a harness checks beyond "does not trap": a violation is a
/// finding, reported as a crash with the reason.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        printError("fuzz: property violated: \(message())")
        abort()
    }
}

func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// A file for this process under /dev/shm (removed at a normal exit), for
/// targets whose parser is reached through a file.
func scratchFile(_ name: String) -> String {
    let directory = "/dev/shm/hanet-fuzz-\(getpid())"
    if !scratchNames.contains(name) {
        if scratchNames.isEmpty {
            mkdir(directory, 0o700)
            atexit {
                let directory = "/dev/shm/hanet-fuzz-\(getpid())"
                for name in scratchNames { unlink(directory + "/" + name) }
                rmdir(directory)
            }
        }
        scratchNames.append(name)
    }
    return directory + "/" + name
}

nonisolated(unsafe) private var scratchNames: [String] = []

/// Replaces the file at `path` with `bytes`.
func putFile(_ bytes: [UInt8], at path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
