// Small text helpers: Foundation is off limits in this module (it doubles
// agent start-up time), so the few string operations needed live here.

extension Character {
    var isOCFWhitespace: Bool { self == " " || self == "\t" || self == "\n" || self == "\r" }
}

extension StringProtocol {
    func trimmingOCFWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isOCFWhitespace }),
              let last = lastIndex(where: { !$0.isOCFWhitespace })
        else { return "" }
        return String(self[first...last])
    }

    /// ASCII-only lower-casing: values are compared with a C-locale mind,
    /// and Pacemaker runs agents with LC_ALL=C anyway.
    var asciiLowercased: String {
        String(String.UnicodeScalarView(unicodeScalars.map { scalar in
            (scalar.value >= 65 && scalar.value <= 90) ? Unicode.Scalar(UInt8(scalar.value + 32)) : scalar
        }))
    }
}

extension String {
    /// Folds a text into one line: each run of control characters (line
    /// breaks, tabs) becomes one space and the ends are trimmed. Pacemaker
    /// keeps only one line of an exit reason, and log files are read line
    /// by line.
    var singleLine: String {
        var result = ""
        var pendingSpace = false
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                pendingSpace = true
                continue
            }
            if pendingSpace && !result.isEmpty && result.unicodeScalars.last != " " && scalar != " " {
                result.append(" ")
            }
            pendingSpace = false
            if scalar == " " && result.isEmpty { continue }
            result.unicodeScalars.append(scalar)
        }
        while result.unicodeScalars.last == " " { result.unicodeScalars.removeLast() }
        return result
    }
}

extension String {
    var uppercasedASCII: String {
        String(String.UnicodeScalarView(unicodeScalars.map { scalar in
            (scalar.value >= 97 && scalar.value <= 122) ? Unicode.Scalar(UInt8(scalar.value - 32)) : scalar
        }))
    }

    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
