/// The shape every piece of host logic shares: the same four questions an
/// init system, a cluster manager or a tool asks.
///
/// `start` and `stop` are idempotent and undo only what they did; `stop`
/// succeeds when nothing is set up. Each returns one line per change made.
public protocol HostResource {
    /// The configuration's rules, then this host's state; changes nothing.
    func validate() throws

    /// - Parameter validating: false when the caller has just run `validate()`.
    @discardableResult
    func start(validating: Bool) throws -> [String]

    @discardableResult
    func stop() throws -> [String]

    /// One kernel read where possible; `checkLevel` 10 looks deeper
    /// (carrier, VLANs, LACP partner).
    func health(checkLevel: Int) throws -> Health
}
