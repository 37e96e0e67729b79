/// Renders `AgentMetadata` as the XML Pacemaker, crm and pcs read from
/// `meta-data`.
///
/// The output follows OCF 1.1, because that is what makes Pacemaker 2.1
/// reload instead of restart: `reloadable="1"` on parameters the agent can
/// change live and a `reload-agent` action (as Pacemaker's own
/// ocf:pacemaker:Dummy does). It must still pass the validators that
/// matter, which disagree:
/// - pcs 0.11's `ocf-1.1.rng` (chosen by the `<version>1.1</version>`
///   element): knows `reloadable` and any action name; needs `lang` on
///   every description.
/// - ocf-tester (resource-agents), which runs `xmllint --valid` against the
///   document's own DOCTYPE, `ra-api-1.dtd`, which predates OCF 1.1. The
///   document's internal DTD subset declares the two OCF 1.1 additions
///   (XML: the first declaration of an attribute binds), so the DTD check
///   still means something for everything else.
/// resource-agents' `metadata.rng` knows no `reloadable` and is no longer
/// a target; content types stay string/integer/boolean (the DTD lacks
/// select).
public enum MetadataXML {
    /// The OCF API version the agents implement.
    public static let ocfVersion = "1.1"

    /// The document the agent prints for `meta-data`.
    public static func render(_ metadata: AgentMetadata) -> String {
        // A reloadable flag without the action would promise what no call keeps.
        let reloads = metadata.declares(action: "reload-agent")
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd" [
            <!ATTLIST parameter reloadable (0|1) #IMPLIED>
            <!ATTLIST action name CDATA #REQUIRED>
            ]>
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
            xml += " unique=\"\(parameter.unique ? 1 : 0)\" required=\"\(parameter.required ? 1 : 0)\""
            if parameter.reloadable && reloads { xml += " reloadable=\"1\"" }
            xml += ">\n"
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
