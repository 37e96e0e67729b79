@testable import HanetLinks

/// The bonds of the iproute2 captures (`IPRouteCaptures.addBond*Options`),
/// option for option, shared by the encoding and decoding tests.
enum BondSamples {
    static let ieee8023ad: Bond = {
        var b = Bond(mode: .ieee8023ad, miimon: 100)
        b.lacpRate = .fast
        b.lacpActive = false
        b.adActorSysPrio = 100
        b.adUserPortKey = 5
        b.adActorSystem = MACAddress(0x02, 0, 0, 0, 0, 0x01)
        return b
    }()

    static let arpMonitor: Bond = {
        var b = Bond(mode: .activeBackup)
        b.useCarrier = false
        b.arpInterval = 100
        b.arpIPTargets = [IPv4Address(192, 0, 2, 1)]
        b.nsIP6Targets = [IPv6Address(parsing: "2001:db8::1")!, IPv6Address(parsing: "2001:db8::2")!]
        b.arpAllTargets = .all
        b.arpMissedMax = 3
        b.resendIGMP = 2
        return b
    }()

    static let roundRobin: Bond = {
        var b = Bond(mode: .balanceRR, miimon: 100)
        b.peerNotifyDelay = 200
        b.packetsPerSlave = 4
        return b
    }()

    static let tlb: Bond = {
        var b = Bond(mode: .balanceTLB, miimon: 100)
        b.tlbDynamicLB = false
        b.lpInterval = 5
        return b
    }()
}
