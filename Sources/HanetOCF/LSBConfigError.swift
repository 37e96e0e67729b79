/// A problem in an LSB config file, located by file and line so the
/// administrator can go straight to it.
public struct LSBConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String

    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the layout editors and compilers use.
    public var description: String { "\(path):\(line): \(message)" }
}
