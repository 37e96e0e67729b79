import HanetNetlink

/// A failure armed in a `FakeLinkKernel`: the next request(s) that match
/// are refused with this errno and extended-ACK text, before the kernel
/// model looks at them (nothing changes, as with a real refusal).
///
/// Why injection and not only kernel rules: rollback paths run when the
/// kernel refuses something the library had every reason to expect to work
/// (a driver error, ENOMEM, a race with another tool). Those cannot be
/// provoked through the model, yet they are the paths that decide whether a
/// failed start leaves the host as it found it.
public struct FakeKernelFault {
    /// nil = any message type.
    public var type: FakeKernelRequest.MessageType?
    /// The interface the request must be about (`FakeKernelRequest.object`); nil = any.
    public var object: String?
    /// Further condition on the decoded request, e.g. only the enslave:
    /// `{ $0.summary.contains(" master ") }`.
    public var condition: ((FakeKernelRequest) -> Bool)?
    /// Positive errno to answer with.
    public var errno: Int32
    /// Extended-ACK text (NLMSGERR_ATTR_MSG), as the kernel sends for most refusals.
    public var message: String?
    /// How many more matching requests fail; the fault is dropped at 0.
    public var remaining: Int

    public init(type: FakeKernelRequest.MessageType?, object: String? = nil, errno: Int32, message: String? = nil,
                times: Int = 1, where condition: ((FakeKernelRequest) -> Bool)? = nil) {
        self.type = type
        self.object = object
        self.condition = condition
        self.errno = errno
        self.message = message
        self.remaining = times
    }

    func matches(_ request: FakeKernelRequest) -> Bool {
        if let type, type != request.type { return false }
        if let object, object != request.object { return false }
        return condition?(request) ?? true
    }
}
