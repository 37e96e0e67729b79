// Targets of module HanetFirewall:
//   nftables   NFTablesBackend.inspect and snapshot(of:) with the input as
//              the kernel's answers (NEWTABLE, two NEWCHAIN, the NEWRULE
//              dump; datagrams split at ~DG~), the probe's NEWGEN, each
//              message through every NFTablesDecoder entry, and the
//              comparison and rendering of what was decoded.
//   nftevents  NFTablesChangeParser.absorb, the nf_tables notification
//              parsing of NFTablesChangeMonitor (the guard's change feed).
//   arptables  ARPTablesTable(blob:) over raw ARPT_SO_GET_ENTRIES bytes, then
//              what the iptables backend does with a table: examine it,
//              add our chain and jump, lay it out, read the layout back,
//              remove our chain, lay it out again.
//   iptables   IPTablesRuleBuffer.canonical(entry:), how the iptables
//              backend reads each ip/ip6 entry libiptc hands it (libiptc's
//              own parsing is C and not fuzzed here).
import Glibc
import HanetLinks
import HanetNetlink

let fuzzTargets: [String: @Sendable ([UInt8]) -> Void] = [
    "nftables": fuzzNFTables,
    "nftevents": fuzzNFTEvents,
    "arptables": fuzzARPTables,
    "iptables": fuzzIPTables,
]

/// The policy the golden captures (and so the seeds) render: table
/// hanet_b731889c, chain HANET-b731889c.
private let policy = GuestBlockPolicy(
    bridges: ["xenbr1", "br0"],
    guestPorts: ["vif*", "tap*", "vnet*", "guest7"].map { try! PortPattern(parsing: $0) },
    exemptPorts: [try! PortPattern(parsing: "vif0.0")])

// MARK: nftables

@Sendable func fuzzNFTables(_ bytes: [UInt8]) {
    let backend = NFTablesBackend(connection: fuzzConnection(bytes))
    do { blackHole(try backend.inspect(policy)) } catch { absorb(error) }
    do {
        if let snapshot = try NFTablesBackend(connection: fuzzConnection(bytes)).snapshot(of: policy) {
            for match in NFTablesMatch.allCases {
                let ruleset = NFTablesRuleset(policy: policy, match: match)
                blackHole((ruleset.difference(from: snapshot), ruleset.difference(from: snapshot, ignoringDormancy: true)))
            }
            blackHole(snapshot.chains.map(\.description) + snapshot.rules.map(\.description))
        }
    } catch { absorb(error) }
    do { blackHole(try NFTablesBackend.probe(connection: fuzzConnection(bytes))) } catch { absorb(error) }

    // Every message through every decoder, wherever the conversation stopped.
    for datagram in datagrams(bytes) {
        guard let messages = try? NetlinkMessage.split(datagram: datagram[...]) else { continue }
        for message in messages {
            do { blackHole(try NFTablesDecoder.table(message)) } catch { absorb(error) }
            do { blackHole(try NFTablesDecoder.chain(message).chain.description) } catch { absorb(error) }
            do {
                let rule = try NFTablesDecoder.rule(message).rule
                blackHole((rule.description, rule.expressions.map(\.description)))
            } catch { absorb(error) }
            do { blackHole(try NFTablesDecoder.generationID(message)) } catch { absorb(error) }
        }
    }
}

// MARK: nftevents

@Sendable func fuzzNFTEvents(_ bytes: [UInt8]) {
    var parser = NFTablesChangeParser(table: NFTablesRuleset.tableName(for: policy))
    for datagram in datagrams(bytes) {
        do {
            for message in try NetlinkMessage.split(datagram: datagram[...]) {
                if let transaction = try parser.absorb(message) { blackHole(transaction) }
            }
        } catch {
            absorb(error)
            parser.reset()
        }
    }
}

// MARK: arptables

/// Input: valid_hooks, hook_entry[3], underflow[3], num_entries (u32 each,
/// as ARPT_SO_GET_INFO gives them), then the entries blob.
@Sendable func fuzzARPTables(_ bytes: [UInt8]) {
    guard bytes.count >= 32 else { return }
    func u32(_ index: Int) -> UInt32 {
        UInt32(bytes[index * 4]) | UInt32(bytes[index * 4 + 1]) << 8 | UInt32(bytes[index * 4 + 2]) << 16 | UInt32(bytes[index * 4 + 3]) << 24
    }
    let blob = Array(bytes[32...])
    let table: ARPTablesTable
    do {
        table = try ARPTablesTable(name: "filter", validHooks: u32(0), hookEntry: [u32(1), u32(2), u32(3)],
                                   underflow: [u32(4), u32(5), u32(6)], entryCount: Int(u32(7)), blob: blob)
    } catch {
        absorb(error)
        return
    }
    guard let ruleset = try? IPTablesRuleset(policy) else { fatalError("the fixed policy renders") }
    let chain = ruleset.chain

    // examineARP
    let expectedJump = ARPTablesTable.Entry(ruleset.arpJump).canonical
    for existing in table.chains {
        blackHole(existing.rules.map(\.canonical) + [existing.tail.canonical])
        blackHole(existing.rules.map { ($0.isStandard, $0.isUnconditional, $0.targetName, $0.errorName) })
        blackHole(table.references(to: existing.name))
    }
    blackHole(table.chain(named: "FORWARD")?.rules.contains { $0.link == .jump(chain) && $0.canonical == expectedJump })

    // blockARP's edit, then the layout written to the kernel, read back.
    var blocked = table
    _ = blocked.installJump(to: chain, rules: ruleset.arpRules.map(ARPTablesTable.Entry.init), jump: ARPTablesTable.Entry(ruleset.arpJump))
    roundTrip(blocked)

    // unblockARP's edit.
    var unblocked = table
    _ = unblocked.removeJump(to: chain)
    roundTrip(unblocked)
}

/// What we write must read back as the same chains.
private func roundTrip(_ table: ARPTablesTable) {
    let layout: ARPTablesTable.Layout
    do { layout = try table.layout() } catch { absorb(error); return }
    require(layout.blob.count % 8 == 0, "layout of \(layout.blob.count) bytes is not 8-aligned")
    do {
        let again = try ARPTablesTable(name: table.name, validHooks: table.validHooks, hookEntry: layout.hookEntry,
                                       underflow: layout.underflow, entryCount: layout.entryCount, blob: layout.blob)
        require(again.chains.map(\.name) == table.chains.map(\.name),
                "chains \(table.chains.map(\.name)) read back as \(again.chains.map(\.name))")
        require(again.chains.map(\.rules.count) == table.chains.map(\.rules.count), "rule counts changed in the round trip")
    } catch {
        require(false, "our own layout does not parse: \(error)")
    }
}

// MARK: iptables

/// Input: one byte choosing ip (even) or ip6 (odd), then one entry. As
/// libiptc guarantees, the entry is at least its struct and next_offset
/// bytes long; it sits in an allocation of exactly that size, so that
/// AddressSanitizer sees any read past it.
@Sendable func fuzzIPTables(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let layout = selector & 1 == 0 ? IPTablesLayout.ipv4 : IPTablesLayout.ipv6
    var entry = Array(bytes.dropFirst())
    if entry.count < layout.entrySize { entry += [UInt8](repeating: 0, count: layout.entrySize - entry.count) }
    let nextOffset = Int(entry[layout.nextOffset]) | Int(entry[layout.nextOffset + 1]) << 8
    guard nextOffset <= entry.count else { return }
    let size = max(layout.entrySize, nextOffset)
    let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
    defer { memory.deallocate() }
    entry.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: size) }

    let expected = selector & 1 == 0 ? ourEntries.ipv4 : ourEntries.ipv6
    for label in ["DROP", "RETURN", expected.chain, ""] {
        let canonical = IPTablesRuleBuffer.canonical(entry: UnsafeRawPointer(memory), layout: layout, targetLabel: label)
        blackHole(expected.rules.contains(canonical))
    }
}

/// Our rules as the backend compares them, rendered once (not per input).
private let ourEntries: (ipv4: (chain: String, rules: Set<[UInt8]>), ipv6: (chain: String, rules: Set<[UInt8]>)) = {
    guard let ruleset = try? IPTablesRuleset(policy) else { fatalError("the fixed policy renders") }
    func rendered(_ layout: IPTablesLayout) -> (chain: String, rules: Set<[UInt8]>) {
        (ruleset.chain, Set(ruleset.rules.map { IPTablesRuleBuffer.canonical($0, layout: layout) }))
    }
    return (rendered(.ipv4), rendered(.ipv6))
}()
