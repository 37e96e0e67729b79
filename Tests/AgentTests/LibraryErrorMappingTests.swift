import XCTest
import Glibc
import HanetOCF
import HanetNetlink
import HanetFirewall
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
}
