// Targets of module HanetLinks, the input being the kernel's datagrams
// (split at the ~DG~ marker, see Support.swift):
//   links  LinkManager.list(), ports(ofMasterIndex:), link(named:): the
//          RTM_NEWLINK decoder (Link(message:)) with bridge, bond (incl.
//          802.3ad info), vlan and bond slave info, then every rendering
//          of the result and LinkChangeTracker over it, as `hanet watch` does.
//   fdb    BridgeFDB.entries and flushLearned (whose pre-5.19 fallback
//          dumps and deletes entry by entry): the RTM_NEWNEIGH decoder.
let fuzzTargets: [String: @Sendable ([UInt8]) -> Void] = [
    "links": fuzzLinks,
    "fdb": fuzzFDB,
]

@Sendable func fuzzLinks(_ bytes: [UInt8]) {
    var listed: [Link] = []
    do {
        listed = try LinkManager(connection: fuzzConnection(bytes)).list()
    } catch { absorb(error) }
    do {
        let ports = try LinkManager(connection: fuzzConnection(bytes)).ports(ofMasterIndex: 3)
        require(ports.allSatisfy { $0.masterIndex == 3 }, "ports() returned a link of another master")
    } catch { absorb(error) }
    do {
        blackHole(try LinkManager(connection: fuzzConnection(bytes)).link(named: "br0").map(render))
    } catch { absorb(error) }

    for link in listed { blackHole(render(link)) }
    var tracker = LinkChangeTracker(links: Array(listed.prefix(listed.count / 2)))
    for link in listed { blackHole(tracker.apply(.changed(link))) }
    for link in listed.reversed() { blackHole(tracker.apply(.changed(link))) }
    if let first = listed.first { blackHole(tracker.apply(.removed(first))) }
    blackHole(tracker.resync(Array(listed.dropFirst())))
}

/// Everything an administrator can be shown of a decoded link.
private func render(_ link: Link) -> String {
    var text = link.description + " up=\(link.isUp) carrier=\(link.hasCarrier)"
    if let port = link.guestPort { text += " guest \(port)" }
    if let kind = link.kind { text += " \(kind.kernelName) \(kind)" }
    if let bond = link.kind?.bond {
        text += " \(bond)"
        text += [bond.mode?.description, bond.xmitHashPolicy?.description, bond.lacpRate?.description,
                 bond.adSelect?.description, bond.failOverMAC?.description, bond.primaryReselect?.description,
                 bond.arpValidate?.description].compactMap { $0 }.joined(separator: ",")
        text += (bond.arpIPTargets ?? []).map(\.description).joined(separator: ",")
        if let info = bond.adInfo { text += " partner answered \(info.partnerAnswered)" }
    }
    if let slave = link.bondSlave { text += " \(slave)" }
    return text
}

@Sendable func fuzzFDB(_ bytes: [UInt8]) {
    do {
        let entries = try BridgeFDB(connection: fuzzConnection(bytes)).entries(bridgeIndex: 2)
        for entry in entries {
            require(entry.bridgeIndex == nil || entry.bridgeIndex == 2, "entry of another bridge")
            blackHole((entry.description, entry.isLearned, entry.isDynamic))
        }
    } catch { absorb(error) }
    do {
        blackHole(try BridgeFDB(connection: fuzzConnection(bytes)).flushLearned(bridgeIndex: 2))
    } catch { absorb(error) }
}
