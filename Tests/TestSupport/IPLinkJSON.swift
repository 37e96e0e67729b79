import Foundation

/// `ip -d -j link show` parsed: the independent witness for differential
/// tests. Timers that change on their own (gc_timer...) are ignored by
/// reading only the fields a test names.
public struct IPLinkJSON {
    public let objects: [[String: Any]]

    public init(namespace: TestNamespace, device: String? = nil) throws {
        var args = ["ip", "-d", "-j", "link", "show"]
        if let device { args += ["dev", device] }
        let out = try namespace.exec(args, must: true).stdout
        guard let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]] else {
            throw SetupError("ip -j output is not a JSON array: \(out)")
        }
        objects = parsed
    }

    public var first: [String: Any]? { objects.first }

    public func link(_ name: String) -> [String: Any]? {
        objects.first { $0["ifname"] as? String == name }
    }

    public static func flags(_ object: [String: Any]) -> Set<String> {
        Set(object["flags"] as? [String] ?? [])
    }

    public static func infoData(_ object: [String: Any]) -> [String: Any] {
        ((object["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]) ?? [:]
    }

    public static func kind(_ object: [String: Any]) -> String? {
        (object["linkinfo"] as? [String: Any])?["info_kind"] as? String
    }
}
