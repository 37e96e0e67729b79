import XCTest
import Glibc

/// The VM tier runs inside the qemu VM (scripts/vm) whose stock Debian
/// kernel has the bonding and 802.1Q drivers this host lacks.
public enum VMTier {
    public static func require() throws {
        guard getenv("HANET_IN_VM") != nil else {
            throw XCTSkip("VM tier: runs inside the qemu VM with a real bonding driver (make test-vm, or scripts/vm/run --env HANET_IN_VM=1 -- <test binary> VMTests.<Class>)")
        }
        try TestNamespace.requireRoot()
    }

    /// Polls `condition` until true or the deadline; returns elapsed ms or nil.
    public static func waitUntil(timeoutSeconds: Double, intervalMs: Int = 20, _ condition: () throws -> Bool) rethrows -> Double? {
        let start = now()
        while now() - start < timeoutSeconds * 1000 {
            if try condition() { return now() - start }
            usleep(useconds_t(intervalMs * 1000))
        }
        return nil
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }
}
