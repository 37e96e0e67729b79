import HanetNetlink

extension LinkManager {
    /// Brings the settings every agent pins on its link (MTU, address,
    /// ARP, multicast) to the given values, compared with `link` as the
    /// caller last read it, so nothing is sent when nothing differs (a
    /// second start, a reload that changes another parameter). nil MTU or
    /// address: left as found. Returns one line per change, in the words
    /// agents log (`mtu 9000`, `arp off`).
    public func align(_ link: Link, mtu: UInt32? = nil, mac: MACAddress? = nil, arp: Bool, multicast: Bool) throws -> [String] {
        var done: [String] = []
        if let mtu, link.mtu != mtu {
            try setMTU(link.name, mtu)
            done.append("mtu \(mtu)")
        }
        if let mac, link.mac != mac {
            try setMAC(link.name, mac)
            done.append("address \(mac)")
        }
        if link.flags.contains(.noARP) == arp {
            try setARP(link.name, arp)
            done.append("arp \(arp ? "on" : "off")")
        }
        if link.flags.contains(.multicast) != multicast {
            try setMulticast(link.name, multicast)
            done.append("multicast \(multicast ? "on" : "off")")
        }
        return done
    }
}
