// Target `netlink` (module HanetNetlink): NetlinkMessage.split,
// NetlinkAttributes (every typed accessor, nesting walked), the family
// header read, and the reply handling of NetlinkConnection (execute, get,
// dump: NLMSG_ERROR with extended ACK, NLMSG_DONE with an errno,
// NLM_F_DUMP_INTR retries) with the input as the kernel's datagrams.
let fuzzTargets: [String: @Sendable ([UInt8]) -> Void] = [
    "netlink": fuzzNetlink,
]

@Sendable func fuzzNetlink(_ bytes: [UInt8]) {
    // The whole input as one datagram.
    do {
        for message in try NetlinkMessage.split(datagram: bytes[...]) {
            require(message.payload.count <= bytes.count - 16, "payload longer than the datagram")
            _ = try? message.header(as: (UInt32, UInt32, UInt32, UInt32).self, context: "fuzz header")
            for headerSize in [0, 4, 16] {
                do { walk(try message.attributes(after: headerSize, context: "fuzz"), depth: 0) } catch { absorb(error) }
                do {
                    var count = 0
                    try message.forEachAttribute(after: headerSize, context: "fuzz") { _ in count += 1 }
                    blackHole(count)
                } catch { absorb(error) }
            }
            if message.type == NetlinkConstants.error || message.type == NetlinkConstants.done {
                do { try NetlinkConnection.checkError(message, operation: "FUZZ", object: "x") } catch { absorb(error) }
            }
        }
    } catch { absorb(error) }

    // The input as the kernel's answers (datagrams split at the marker).
    var request = NetlinkRequest(type: 18, flags: 0)
    request.append(bytes: [0, 0, 0, 0])
    do { blackHole(try fuzzConnection(bytes).execute(request, operation: "FUZZ")) } catch { absorb(error) }
    do { blackHole(try fuzzConnection(bytes).get(request, operation: "FUZZ")) } catch { absorb(error) }
    do { blackHole(try fuzzConnection(bytes).dump(request, operation: "FUZZ")) } catch { absorb(error) }
}

private func walk(_ attributes: NetlinkAttributes, depth: Int) {
    for attribute in attributes {
        blackHole((try? attribute.u8(), try? attribute.u16(), try? attribute.u32(), try? attribute.u64()))
        blackHole((try? attribute.i32(), try? attribute.bigEndianU32(), try? attribute.bigEndianU64()))
        blackHole((try? attribute.string(), attribute.bytes, attributes[attribute.type]?.value.count))
        guard depth < 16 else { continue }
        do { walk(try attribute.nested(), depth: depth + 1) } catch { absorb(error) }
    }
}
