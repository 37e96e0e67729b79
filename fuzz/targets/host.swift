// Target `statefile` (module HanetHost): StateFile.parse, the key=value
// byte loop of the records under HA_RSCTMP, directly and as agents reach
// it, through StateFile.read of a file (in /dev/shm: the disk is never
// touched); GuestMACRegistry.load over the same bytes; and the write/read
// round trip: what read() returns, write() must store so that read()
// returns it again.
import Glibc

let fuzzTargets: [String: @Sendable ([UInt8]) -> Void] = [
    "statefile": fuzzStateFile,
]

@Sendable func fuzzStateFile(_ bytes: [UInt8]) {
    let parsed = StateFile.parse(bytes)
    for (key, value) in parsed {
        require(!key.contains("\n") && !key.contains("=") && !value.contains("\n"), "line structure lost in \(key)=\(value)")
    }

    let path = scratchFile("fuzz.state")
    let file = StateFile(directory: String(path[..<path.lastIndex(of: "/")!]), name: "fuzz")
    require(file.path == path, "StateFile named the record \(file.path)")
    putFile(bytes, at: path)
    do {
        let values = try file.read()
        require(values == parsed, "read() and parse() disagree")
        if values.isEmpty { file.remove() } else { try file.write(values) }
        let again = try file.read()
        require(again == values, "write/read round trip changed \(values) into \(again)")
    } catch { absorb(error) }

    putFile(bytes, at: scratchFile("hanet-vhostnet-fuzz-macs.state"))
    let macs = GuestMACRegistry(stateDirectory: file.directory, policyTag: "fuzz").load()
    for (mac, port) in macs { blackHole("\(mac) \(port)") }
}
