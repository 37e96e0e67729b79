import Glibc

/// This node's quorum from corosync's quorum service (libquorum), opened
/// with `dlopen` in the sentinel only.
///
/// Agents never load libquorum: the library is opened in the detached
/// sentinel after its fork, so no agent action pays for it (as libiptc is
/// loaded only by the iptables backend). The few calls are declared here
/// against corosync's stable C ABI (quorum.h, corotypes.h: unchanged since
/// corosync 2): a handle of 64 bits, a callbacks struct that is one
/// function pointer, and `cs_error_t` with `CS_OK` = 1.
public final class CorosyncQuorum: QuorumSource {
    /// libquorum's soname in corosync 2 and 3 (Debian's libquorum5).
    public static let soname = "libquorum.so.5"

    private typealias Notify = @convention(c) (UInt64, UInt32, UInt64, UInt32, UnsafeMutablePointer<UInt32>?) -> Void
    private typealias Initialize = @convention(c) (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<Notify?>, UnsafeMutablePointer<UInt32>) -> Int32
    private typealias Finalize = @convention(c) (UInt64) -> Int32
    private typealias FDGet = @convention(c) (UInt64, UnsafeMutablePointer<Int32>) -> Int32
    private typealias Dispatch = @convention(c) (UInt64, Int32) -> Int32
    private typealias GetQuorate = @convention(c) (UInt64, UnsafeMutablePointer<Int32>) -> Int32
    private typealias TrackStart = @convention(c) (UInt64, UInt32) -> Int32
    private typealias ContextSet = @convention(c) (UInt64, UnsafeRawPointer?) -> Int32
    private typealias ContextGet = @convention(c) (UInt64, UnsafeMutablePointer<UnsafeRawPointer?>) -> Int32

    private static let ok: Int32 = 1                 // CS_OK
    private static let tryAgain: Int32 = 6           // CS_ERR_TRY_AGAIN: still connected
    private static let dispatchAll: Int32 = 2        // CS_DISPATCH_ALL: what is pending, without blocking
    private static let trackCurrentAndChanges: UInt32 = 0x01 | 0x02
    private static let quorumSet: UInt32 = 1         // QUORUM_SET: a quorum provider is configured

    public let fileDescriptor: Int32
    public private(set) var quorate: Bool
    private let handle: UInt64
    private let dispatchCall: Dispatch
    private let finalize: Finalize
    private let contextSet: ContextSet
    /// libquorum's callback carries the handle only: it reads this
    /// instance back from the handle's context through this call. Set
    /// before the first callback; the sentinel is single-threaded.
    nonisolated(unsafe) private static var contextGet: ContextGet?

    /// Connects to the local corosync and follows its quorum.
    ///
    /// - Throws: `HostError.backendUnavailable` when libquorum cannot be
    ///   loaded, corosync does not answer, or no quorum provider is
    ///   configured (then quorum means nothing here).
    public init() throws(HostError) {
        guard let library = dlopen(Self.soname, RTLD_NOW | RTLD_LOCAL) else {
            throw Self.unavailable("\(Self.soname) cannot be loaded (\(dlerror().map { String(cString: $0) } ?? "not found"))")
        }
        func symbol<Function>(_ name: String, as: Function.Type) throws(HostError) -> Function {
            guard let address = dlsym(library, name) else { throw Self.unavailable("\(Self.soname) has no \(name)") }
            return unsafeBitCast(address, to: Function.self)
        }
        let initialize = try symbol("quorum_initialize", as: Initialize.self)
        let fdGet = try symbol("quorum_fd_get", as: FDGet.self)
        let getQuorate = try symbol("quorum_getquorate", as: GetQuorate.self)
        let trackStart = try symbol("quorum_trackstart", as: TrackStart.self)
        dispatchCall = try symbol("quorum_dispatch", as: Dispatch.self)
        finalize = try symbol("quorum_finalize", as: Finalize.self)
        contextSet = try symbol("quorum_context_set", as: ContextSet.self)
        Self.contextGet = try symbol("quorum_context_get", as: ContextGet.self)

        var handle: UInt64 = 0
        var type: UInt32 = 0
        var callbacks: Notify? = { handle, quorate, _, _, _ in
            guard let get = CorosyncQuorum.contextGet else { return }
            var context: UnsafeRawPointer?
            guard get(handle, &context) == CorosyncQuorum.ok, let context else { return }
            Unmanaged<CorosyncQuorum>.fromOpaque(context).takeUnretainedValue().quorate = quorate != 0
        }
        var code = initialize(&handle, &callbacks, &type)
        guard code == Self.ok else { throw Self.unavailable("corosync's quorum service does not answer (quorum_initialize: cs_error \(code))") }
        self.handle = handle
        guard type == Self.quorumSet else {
            _ = finalize(handle)
            throw Self.unavailable("corosync has no quorum provider configured: quorum means nothing on this cluster")
        }
        var fd: Int32 = -1
        var current: Int32 = 0
        code = fdGet(handle, &fd)
        if code == Self.ok { code = getQuorate(handle, &current) }
        guard code == Self.ok else {
            _ = finalize(handle)
            throw Self.unavailable("corosync's quorum service failed (cs_error \(code))")
        }
        fileDescriptor = fd
        quorate = current != 0
        _ = contextSet(handle, UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()))
        code = trackStart(handle, Self.trackCurrentAndChanges)
        guard code == Self.ok else {
            _ = finalize(handle)
            throw Self.unavailable("corosync's quorum service refused tracking (quorum_trackstart: cs_error \(code))")
        }
    }

    deinit { _ = finalize(handle) }

    public func dispatch() -> Bool {
        let code = dispatchCall(handle, Self.dispatchAll)
        return code == Self.ok || code == Self.tryAgain
    }

    private static func unavailable(_ reason: String) -> HostError {
        HostError(.backendUnavailable, object: "corosync", reason)
    }
}
