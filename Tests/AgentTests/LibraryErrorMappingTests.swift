import XCTest
import Glibc
import HanetOCF
import HanetNetlink
@testable import HanetFirewall
@testable import HanetLinks
@testable import HanetAgents
import HanetHost

/// One errno rule for every kernel-facing error: missing support is 5,
/// missing privilege 4, anything else 1, and never 6.
final class LibraryErrorMappingTests: XCTestCase {
    func testNetlinkAndIPTablesErrorsMapTheSameWay() {
        let cases: [(Int32, OCFExitCode)] = [(EOPNOTSUPP, .errInstalled), (ENOPROTOOPT, .errInstalled), (ELIBACC, .errInstalled), (EPERM, .errPerm),
                                             (EACCES, .errPerm), (EBUSY, .errGeneric), (ENODEV, .errGeneric)]
        for (errno, code) in cases {
            XCTAssertEqual(AgentFailure(NetlinkError(operation: "RTM_NEWLINK", object: "bond0", errno: errno)).code, code)
            XCTAssertEqual(AgentFailure(IPTablesError(operation: "iptc_commit", table: "ip4 filter", errno: errno)).code, code)
        }
        let failure = AgentFailure(IPTablesError(operation: "iptc_commit", table: "ip6 filter", object: "HANET-1", errno: EAGAIN, message: "Resource temporarily unavailable"))
        XCTAssertEqual(failure.reason, "iptc_commit ip6 filter HANET-1: Resource temporarily unavailable (EAGAIN)")
        XCTAssertEqual(NetlinkError(operation: "RTM_NEWLINK", object: "bond0", errno: EBUSY, kernelMessage: "Device can not be enslaved while up").description,
                       "RTM_NEWLINK bond0: Device can not be enslaved while up (EBUSY)")
    }

    /// Every public error type of every module below the agents, with the
    /// code it must give. A new error type that is not mapped falls through
    /// to 1 with its description: this list is where it must be added.
    func testEveryLibraryErrorTypeHasItsCode() throws {
        let macError: MACAddress.Invalid
        do { _ = try MACAddress(parsing: "zz"); return XCTFail("zz parsed") } catch { macError = error }
        let patternError: PortPattern.Invalid
        do { _ = try PortPattern(parsing: "*"); return XCTFail("* parsed") } catch { patternError = error }
        let cases: [(any Error, OCFExitCode, String)] = [
            // HanetHost
            (HostError(.missingInterface, object: "eth9", "uplink eth9 does not exist on this node"), .errInstalled, "uplink eth9 does not exist on this node"),
            (HostError(.wrongKind, object: "xenbr1", "xenbr1 exists but is a bond interface, not a bridge"), .errArgs, "xenbr1 exists but is a bond interface, not a bridge"),
            (HostError(.alreadyEnslaved, object: "bond0", "uplink bond0 is already a port of bridge br9, not of xenbr1"), .errArgs, "uplink bond0 is already a port of bridge br9, not of xenbr1"),
            (HostError(.vanished, object: "bond0", "bond bond0 vanished during start"), .errGeneric, "bond bond0 vanished during start"),
            (HostError(.notConverged, object: "xenbr1", "start did not reach the configured state"), .errGeneric, "start did not reach the configured state"),
            (HostError(.guardUnavailable, object: "@hanet-vhostnet-guard-x", errno: EADDRINUSE, "the guard cannot start: its socket is held by uid 65534"), .errGeneric, "the guard cannot start: its socket is held by uid 65534"),
            (HostError(.backendUnavailable, object: "auto", "auto: neither nf_tables nor legacy iptables"), .errInstalled, "auto: neither nf_tables nor legacy iptables"),
            (HostError(.permission, object: "/run/x", errno: EACCES, "no"), .errPerm, "no"),
            (HostError(.stateFile, object: "/run/x", errno: ENOSPC, "full"), .errGeneric, "full"),
            (HostError(.stateFile, object: "/run/x", errno: EROFS, "read-only"), .errGeneric, "read-only"),
            (ConfigurationError("slaves", "a bond needs two or more slaves (got 1)"), .errConfigured, "parameter 'slaves': a bond needs two or more slaves (got 1)"),
            // HanetNetlink
            (NetlinkError(operation: "RTM_NEWLINK", object: "bond0", errno: EOPNOTSUPP, kernelMessage: "Unknown device type"), .errInstalled,
             "RTM_NEWLINK bond0: Unknown device type (EOPNOTSUPP): this kernel has no driver for it (module missing or not loadable)"),
            (NetlinkDecodeError("RTM_NEWLINK", "attribute 3 is 2 bytes, needs 4"), .errGeneric, NetlinkDecodeError("RTM_NEWLINK", "attribute 3 is 2 bytes, needs 4").description),
            // HanetLinks
            (LinkManager.KindMismatch(name: "xenbr1", expected: "bridge", found: "bond"), .errGeneric, "xenbr1 exists but is a bond interface, not a bridge"),
            (Announcer.Failure(operation: "socket(AF_PACKET)", interface: "bond0", errno: EAFNOSUPPORT), .errInstalled, Announcer.Failure(operation: "socket(AF_PACKET)", interface: "bond0", errno: EAFNOSUPPORT).description),
            (Announcer.Failure(operation: "sendto", interface: "bond0", errno: ENETDOWN), .errGeneric, Announcer.Failure(operation: "sendto", interface: "bond0", errno: ENETDOWN).description),
            (InterfaceName.Invalid.empty, .errConfigured, "interface name is empty"),
            (macError, .errConfigured, macError.description),
            // HanetFirewall
            (IPTablesError(operation: "iptc_init", table: "ip4 filter", errno: ENOPROTOOPT), .errInstalled, IPTablesError(operation: "iptc_init", table: "ip4 filter", errno: ENOPROTOOPT).description),
            (patternError, .errConfigured, patternError.description),
            (GuestBlockBackendChoice.Unavailable(description: "backend=nftables but this kernel has no nf_tables support"), .errInstalled,
             "backend=nftables but this kernel has no nf_tables support"),
        ]
        for (error, code, reason) in cases {
            XCTAssertTrue(error is any OCFErrorConvertible, "\(type(of: error)) is not mapped")
            let failure = AgentFailure(error)
            XCTAssertEqual(failure.code, code, "\(type(of: error)): \(error)")
            XCTAssertEqual(failure.reason, reason, "\(type(of: error))")
        }
    }

    /// A state file that cannot be written names its path; a directory
    /// path through a regular file is ENOTDIR: a state-file problem, 1.
    func testStateFileFailuresNameThePath() {
        let file = StateFile(directory: "/dev/null/hanet", name: "hanet-bridge-xenbr1")
        XCTAssertThrowsError(try file.write(["created": "1"])) { error in
            guard let error = error as? HostError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .stateFile)
            XCTAssertEqual(error.errno, ENOTDIR)
            XCTAssertEqual(AgentFailure(error).code, .errGeneric)
            XCTAssertTrue(AgentFailure(error).reason.contains("/dev/null/hanet"), AgentFailure(error).reason)
        }
    }
}
