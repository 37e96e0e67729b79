/// Renders `AgentMetadata` as the XML Pacemaker, crm and pcs read from
/// `meta-data`.
///
/// The output must pass two validators that disagree: the ra-api-1 DTD
/// (used by ocf-tester) and the OCF 1.1 RelaxNG schema. So it uses only
/// their common ground: `lang` on every description (RelaxNG needs it),
/// content types string/integer/boolean (DTD lacks select), no
/// `reloadable` attribute (neither installed schema has it), and only
/// action names the DTD enumerates.
public enum MetadataXML {
    /// The OCF API version the agents implement.
    public static let ocfVersion = "1.1"

    /// The document the agent prints for `meta-data`.
    public static func render(_ metadata: AgentMetadata) -> String {
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
            <resource-agent name="\(escape(metadata.name))" version="\(escape(metadata.version))">
            <version>\(ocfVersion)</version>
            <longdesc lang="en">
            \(escape(metadata.longDescription))
            </longdesc>
            <shortdesc lang="en">\(escape(metadata.shortDescription.singleLine))</shortdesc>
            <parameters>

            """
        for parameter in metadata.parameters {
            xml += "<parameter name=\"\(escape(parameter.name))\""
            xml += " unique=\"\(parameter.unique ? 1 : 0)\" required=\"\(parameter.required ? 1 : 0)\">\n"
            xml += "<longdesc lang=\"en\">\n\(escape(parameter.documentedDescription))\n</longdesc>\n"
            xml += "<shortdesc lang=\"en\">\(escape(parameter.shortDescription.singleLine))</shortdesc>\n"
            xml += "<content type=\"\(parameter.type.rawValue)\""
            if let value = parameter.defaultValue {
                xml += " default=\"\(escape(value))\""
            }
            xml += " />\n</parameter>\n"
        }
        xml += "</parameters>\n<actions>\n"
        for action in metadata.actions where action.appearsInMetadata {
            xml += "<action name=\"\(escape(action.name))\" timeout=\"\(action.timeout.ocfTimeString)\""
            if let interval = action.interval {
                xml += " interval=\"\(interval.ocfTimeString)\""
            }
            if let depth = action.depth {
                xml += " depth=\"\(depth)\""
            }
            if let role = action.role {
                xml += " role=\"\(role.rawValue)\""
            }
            xml += " />\n"
        }
        xml += "</actions>\n</resource-agent>\n"
        return xml
    }

    /// Escapes the five XML special characters (so the text is safe both
    /// in elements and in attributes) and replaces control characters XML
    /// 1.0 forbids even when escaped; tabs and newlines are kept.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n": result.unicodeScalars.append(scalar)
            case "\r": continue
            default:
                // Other C0 controls and the two non-characters are not allowed in XML 1.0.
                let value = scalar.value
                if value < 0x20 || value == 0xfffe || value == 0xffff {
                    result += " "
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
