@testable import HanetFirewall
import Foundation
import Glibc
import XCTest

/// The xtables lock, against a private lock file (no root needed).
final class IPTablesLockTests: XCTestCase {
    var path = ""

    override func setUp() {
        path = "/tmp/hanet-xtables-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).lock"
    }

    override func tearDown() { unlink(path) }

    func testWaitsForAHolderAndTimesOut() throws {
        // Another open file description holding LOCK_EX, as a running iptables would.
        let holder = open(path, O_CREAT | O_RDONLY, 0o600)
        XCTAssertGreaterThanOrEqual(holder, 0)
        XCTAssertEqual(flock(holder, LOCK_EX), 0)
        let clock = ContinuousClock()
        let started = clock.now
        XCTAssertThrowsError(try IPTablesLock(path: path, timeout: .milliseconds(200))) { error in
            XCTAssertEqual((error as? IPTablesError)?.errno, ETIMEDOUT)
            XCTAssertTrue("\(error)".contains("xtables lock"), "\(error)")
        }
        let waited = clock.now - started
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(200))
        XCTAssertLessThan(waited, .milliseconds(1000))
        close(holder)
        // Free again: taken at once.
        let lock = try IPTablesLock(path: path, timeout: .milliseconds(200))
        // While we hold it, nobody else gets it.
        let other = open(path, O_RDONLY)
        XCTAssertEqual(flock(other, LOCK_EX | LOCK_NB), -1)
        XCTAssertEqual(Glibc.errno, EWOULDBLOCK)
        withExtendedLifetime(lock) {}
        close(other)
    }

    func testReleasedOnDeinit() throws {
        do { _ = try IPTablesLock(path: path, timeout: .milliseconds(100)) }
        let other = open(path, O_RDONLY)
        defer { close(other) }
        XCTAssertEqual(flock(other, LOCK_EX | LOCK_NB), 0)
    }

    func testAcquiredOnceTheHolderLetsGo() throws {
        let holder = open(path, O_CREAT | O_RDONLY, 0o600)
        XCTAssertEqual(flock(holder, LOCK_EX), 0)
        let thread = Thread { usleep(100_000); close(holder) }
        thread.start()
        let lock = try IPTablesLock(path: path, timeout: .seconds(5))
        withExtendedLifetime(lock) {}
    }

    func testHonoursXtablesLockfileVariable() {
        setenv("XTABLES_LOCKFILE", path, 1)
        defer { unsetenv("XTABLES_LOCKFILE") }
        XCTAssertEqual(IPTablesLock.defaultPath, path)
        XCTAssertEqual(IPTablesBackend().lockPath, path)
        unsetenv("XTABLES_LOCKFILE")
        XCTAssertEqual(IPTablesLock.defaultPath, "/run/xtables.lock")
    }

    func testUnopenableLockFileIsATypedError() {
        XCTAssertThrowsError(try IPTablesLock(path: "/nonexistent-dir/xtables.lock")) { error in
            XCTAssertEqual((error as? IPTablesError)?.errno, ENOENT)
        }
    }
}
