/// A problem in an LSB config file, located by file and line so the
/// administrator can go straight to it.
public struct LSBConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The configuration file.
    public var path: String
    /// 1-based line number.
    public var line: Int
    /// What is wrong with the line, e.g. `expected name=value`.
    public var message: String

    /// An error at `path`:`line`.
    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the layout editors and compilers use.
    public var description: String { "\(path):\(line): \(message)" }
}
