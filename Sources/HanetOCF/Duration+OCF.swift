extension Duration {
    /// The time syntax Pacemaker reads in meta-data ("20s", "500ms"); whole
    /// seconds where possible because that is what administrators expect.
    var ocfTimeString: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds)s" }
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return "\(milliseconds)ms"
    }

    /// Builds a duration from the millisecond values Pacemaker passes in
    /// `OCF_RESKEY_CRM_meta_interval` and `..._timeout`.
    static func ocfMilliseconds(_ text: String?) -> Duration? {
        guard let text, let value = Int64(text.trimmingOCFWhitespace()), value >= 0 else { return nil }
        return .milliseconds(value)
    }
}
