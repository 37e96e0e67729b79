/// Host logic that can take a changed configuration without a restart
/// (OCF 1.1 `reload-agent`, LSB `reload`).
///
/// A restart of a bond or bridge cuts every guest behind it; a reload
/// changes in place what the kernel can change on a live link and nothing
/// else. What it cannot apply in place it reports as an error naming the
/// parameter, so a change is never silently ignored: the caller restarts.
public protocol ReloadableResource: HostResource {
    /// Applies the configuration's reloadable settings that differ from the
    /// kernel's (one dump to compare; no request when nothing differs) and
    /// returns one line per change. Throws `HostError(.notRunning)` when
    /// the resource is not set up, and `.needsRestart` when a setting can
    /// only change by a restart.
    @discardableResult
    func reload() throws -> [String]
}
