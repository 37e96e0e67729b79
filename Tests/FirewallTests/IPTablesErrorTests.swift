@testable import HanetFirewall
import Glibc
import XCTest

final class IPTablesErrorTests: XCTestCase {
    func testDescriptionNamesStepTableObjectReasonAndErrno() {
        let error = IPTablesError(operation: "iptc_commit", table: "ip6 filter", object: "HANET-1a2b3c4d", errno: EAGAIN,
                                  message: "Resource temporarily unavailable")
        XCTAssertEqual(error.description, "iptc_commit ip6 filter HANET-1a2b3c4d: Resource temporarily unavailable (EAGAIN)")
    }

    func testFallsBackToStrerrorWithoutMessage() {
        let error = IPTablesError(operation: "flock", object: "/run/xtables.lock", errno: EBADF)
        XCTAssertEqual(error.description, "flock /run/xtables.lock: Bad file descriptor (EBADF)")
    }

    func testVersionErrorHasNoErrnoSuffix() {
        let error = IPTablesError(operation: "iptc_init", table: "ip4 filter", errno: 0, message: "Incompatible with this kernel")
        XCTAssertEqual(error.description, "iptc_init ip4 filter: Incompatible with this kernel")
    }

    /// libiptc is dlopen'ed on first use: a missing library is an error
    /// that names it (ELIBACC: agents report 5, not installed), not a crash.
    func testMissingLibraryIsATypedErrorNamingIt() {
        XCTAssertThrowsError(try IPTablesLibrary.open("libhanet-missing.so.0")) { error in
            let failure = error as? IPTablesError
            XCTAssertEqual(failure?.errno, ELIBACC)
            XCTAssertTrue(failure?.description.hasPrefix("dlopen libhanet-missing.so.0: libhanet-missing.so.0: cannot open shared object file") == true,
                          "\(error)")
        }
        XCTAssertNoThrow(try IPTablesIPv4.library.get(), "libip4tc2 is installed here (make deps)")
        XCTAssertNoThrow(try IPTablesIPv6.library.get())
    }

    func testLibiptcStrerrorIsCarried() {
        // iptc_strerror maps errno per function; for an unknown context it falls back to strerror.
        XCTAssertFalse(try IPTablesIPv4.library.get().message(ENOENT).isEmpty)
        XCTAssertFalse(try IPTablesIPv6.library.get().message(EEXIST).isEmpty)
    }
}
