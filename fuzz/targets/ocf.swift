// Target `lsbconfig` (module HanetOCF): LSBConfig.parse, the reader of
// /etc/default/hanet-<agent> in LSB mode, directly and through
// LSBConfig.load (the file read as agents read it, from /dev/shm).
import Glibc

let fuzzTargets: [String: @Sendable ([UInt8]) -> Void] = [
    "lsbconfig": fuzzLSBConfig,
]

@Sendable func fuzzLSBConfig(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let config = try LSBConfig.parse(text, path: "/etc/default/hanet-fuzz")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        for entry in config.entries {
            require(entry.line >= 1 && entry.line <= lines, "entry on line \(entry.line) of \(lines)")
            require(!entry.name.isEmpty, "entry without a name")
        }
        blackHole((config.values, config.unknownEntries(specs: [])))
    } catch {
        absorb(error)
    }

    let configPath = scratchFile("hanet-fuzz")
    putFile(bytes, at: configPath)
    do { blackHole(try LSBConfig.load(agent: "fuzz", environment: ["HANET_CONFIG": configPath])) } catch { absorb(error) }
}
