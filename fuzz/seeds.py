#!/usr/bin/env python3
"""Seed corpora for hanet's fuzz targets, made from the golden captures in
Tests/ (hex fixtures recorded with strace from iproute2, nft, iptables and
arptables) plus a few messages built here for what no capture shows (bond
and bond-slave info, FDB dumps, errors with extended ACK).

    python3 fuzz/seeds.py --out fuzz/corpus [TARGET...]

Writes fuzz/corpus/<target>/<name> (a file per seed; the folder is not
committed). Fixtures are found by name in the test sources: a renamed one
is reported, and a target left without seeds is an error.
"""
import argparse
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEPARATOR = b"~DG~"  # datagram boundary, see fuzz/targets/Support.swift
MISSING = []


# --- fixtures out of Swift test sources -------------------------------------

def declarations(path):
    """name -> list of string literals of `static let name ... =` up to the next declaration."""
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    found = {}
    starts = list(re.finditer(r"^\s*(?:static |private |public )*let (\w+)[^=\n]*=", text, re.M))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        body = text[match.end():end]
        # stop at the next member: a doc comment, func, var, enum or a closing brace at member level
        stop = re.search(r"^\s*(///|func |var |enum |struct |final class |@)", body, re.M)
        if stop:
            body = body[:stop.start()]
        literals = [m.group(1) or m.group(2) for m in
                    re.finditer(r'"""(.*?)"""|"((?:[^"\\\n]|\\.)*)"', body, re.S)]
        found[match.group(1)] = literals
    return found


def hex_fixture(path, name):
    """A fixture whose literals (concatenated with +, or one multi-line literal) are hex."""
    literals = declarations(path).get(name)
    if not literals:
        MISSING.append(f"{path}: {name}")
        return None
    digits = re.sub(r"\s+", "", "".join(literals))
    if not re.fullmatch(r"(?:[0-9a-f]{2})+", digits):
        MISSING.append(f"{path}: {name} is not hex")
        return None
    return bytes.fromhex(digits)


def message_lines(path, name):
    """A [String] fixture of "TYPE FLAGS PAYLOAD" lines -> netlink messages (seq 0, port 0)."""
    literals = declarations(path).get(name)
    if not literals:
        MISSING.append(f"{path}: {name}")
        return []
    messages = []
    for line in literals:
        fields = line.split()
        if len(fields) != 3:
            continue
        messages.append(nlmsg(int(fields[0], 16), int(fields[1], 16), bytes.fromhex(fields[2])))
    return messages


# --- netlink builders -------------------------------------------------------

def pad(data):
    return data + b"\0" * (-len(data) % 4)


def nlmsg(kind, flags, payload, seq=0, port=0):
    return pad(struct.pack("<IHHII", 16 + len(payload), kind, flags, seq, port) + payload)


def attr(kind, payload):
    return pad(struct.pack("<HH", 4 + len(payload), kind) + payload)


def nest(kind, *attributes):
    return attr(kind | 0x8000, b"".join(attributes))


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def strz(s): return s.encode() + b"\0"


NLMSG_ERROR, NLMSG_DONE, MULTI, DUMP_INTR = 2, 3, 0x2, 0x10
RTM_NEWLINK, RTM_DELLINK, RTM_NEWNEIGH = 16, 17, 28


def done(errno=0):
    return nlmsg(NLMSG_DONE, MULTI, struct.pack("<i", -errno))


def ack():
    return nlmsg(NLMSG_ERROR, 0x100, b"\0" * 4 + b"\0" * 16)


def error(errno, text=None, capped=True):
    payload = struct.pack("<i", -errno) + struct.pack("<IHHII", 16, 0, 5, 0, 0)
    flags = 0x100 if capped else 0
    if text is not None:
        flags |= 0x200
        payload += attr(1, strz(text))
    return nlmsg(NLMSG_ERROR, flags, payload)


def ifinfomsg(index, flags=0x1003, family=0):
    return struct.pack("<BBHiII", family, 0, 1, index, flags, 0)


def link(index, name, *attributes, family=0, kind=RTM_NEWLINK, flags=MULTI):
    return nlmsg(kind, flags, ifinfomsg(index, family=family) + attr(3, strz(name)) + b"".join(attributes))


def linkinfo(kind, data=None, slave_kind=None, slave_data=None):
    parts = [attr(1, strz(kind))] if kind else []
    if data is not None:
        parts.append(nest(2, *data))
    if slave_kind:
        parts.append(attr(4, strz(slave_kind)))
    if slave_data is not None:
        parts.append(nest(5, *slave_data))
    return nest(18, *parts)


def datagrams(*parts):
    return SEPARATOR.join(parts)


# --- per target -------------------------------------------------------------

LINKS = "Tests/LinksTests/IPRouteCaptures.swift"
NFT = "Tests/FirewallTests/NFTablesGoldenTests.swift"
IPT = "Tests/FirewallTests/IPTablesRuleBufferTests.swift"
ARPT = "Tests/FirewallTests/IPTablesARPTableTests.swift"


def link_captures():
    names = ["vifReply", "bridgeReply", "addBridge", "addBridgeOptions", "addVeth", "addVlan", "addBond"]
    return {name: data for name in names if (data := hex_fixture(LINKS, name)) is not None}


def synthetic_links():
    mac = bytes.fromhex("020000000001")
    bond = link(4, "bond0", attr(1, mac), attr(4, u32(1500)), attr(16, u8(6)), attr(33, u8(1)),
                linkinfo("bond", [
                    attr(1, u8(4)), attr(2, u32(5)), attr(3, u32(100)), attr(4, u32(200)), attr(5, u32(200)),
                    attr(7, u32(0)), nest(8, attr(0, bytes([10, 0, 0, 1])), attr(1, bytes([10, 0, 0, 2]))),
                    attr(9, u32(3)), attr(11, u32(5)), attr(12, u8(1)), attr(13, u8(2)), attr(14, u8(1)),
                    attr(16, u8(1)), attr(17, u8(0)), attr(18, u32(1)), attr(21, u8(1)), attr(22, u8(2)),
                    nest(23, attr(1, u16(1)), attr(2, u16(2)), attr(3, u16(9)), attr(4, u16(1)),
                         attr(5, bytes.fromhex("0a0000000001")))]))
    slave = link(5, "eth1", attr(1, mac), attr(10, u32(4)), attr(16, u8(6)), attr(33, u8(1)),
                 linkinfo("veth", None, "bond", [
                     attr(1, u8(0)), attr(2, u8(0)), attr(3, u32(2)), attr(4, bytes.fromhex("020000000005")),
                     attr(6, u16(1)), attr(7, u8(61)), attr(8, u16(61))]))
    vlan = link(6, "bond0.10", attr(5, u32(4)), attr(37, u32(0)), attr(20, b"hanet:bond"),
                linkinfo("vlan", [attr(1, u16(10)), attr(5, struct.pack(">H", 0x88a8))]))
    bridge = link(3, "br0", attr(1, mac), linkinfo("bridge", [
        attr(1, u32(0)), attr(2, u32(200)), attr(3, u32(2000)), attr(4, u32(30000)), attr(5, u32(0)), attr(7, u8(1))]))
    port_copy = link(7, "vif1.0", attr(10, u32(3)), family=7)  # AF_BRIDGE copy of a port
    return {"bond": bond, "bondslave": slave, "vlan": vlan, "bridge": bridge, "afbridge": port_copy}


def seeds_netlink():
    out = {}
    captures = link_captures()
    for name, data in captures.items():
        out["capture-" + name] = data
    out["dump"] = b"".join(captures[n] for n in ("vifReply", "bridgeReply") if n in captures) + done()
    out["ack"] = ack()
    out["error-extack"] = error(16, "Device can not be enslaved while up")
    out["error-uncapped"] = error(22, "bad", capped=False)
    out["done-errno"] = done(95)
    out["interrupted"] = datagrams(nlmsg(RTM_NEWLINK, MULTI | DUMP_INTR, ifinfomsg(1)) + done(), done())
    nft = message_lines(NFT, "kernelReplies")
    if nft:
        out["nft-replies"] = b"".join(nft) + done()
    return out


def seeds_links():
    out = {}
    captures = link_captures()
    synthetic = synthetic_links()
    replies = [captures[n] for n in ("vifReply", "bridgeReply") if n in captures]
    out["list"] = b"".join(replies) + done()
    out["list-two-datagrams"] = datagrams(b"".join(replies), done())
    for name in ("addBridge", "addBridgeOptions", "addVeth", "addVlan", "addBond"):
        if name in captures:  # requests, but RTM_NEWLINK with the same attributes
            out["request-" + name] = captures[name] + done()
    for name, message in synthetic.items():
        out["synthetic-" + name] = message + done()
    out["synthetic-all"] = b"".join(synthetic.values()) + b"".join(replies) + done()
    out["get-bridge"] = captures.get("bridgeReply", b"")
    out["enodev"] = error(19)
    return out


def seeds_fdb():
    def entry(port, mac, master=2, vlan=None, state=2, flags=2):
        header = struct.pack("<BBHiHBB", 7, 0, 0, port, state, flags, 0)
        attributes = attr(2, bytes.fromhex(mac)) + attr(9, u32(master))
        if vlan is not None:
            attributes += attr(5, u16(vlan))
        return nlmsg(RTM_NEWNEIGH, MULTI, header + attributes)
    dump = (entry(5, "020000000101") + entry(6, "020000000102", vlan=10) + entry(5, "020000000103", state=128)
            + entry(6, "020000000104", flags=2 | 16) + entry(3, "020000000105", master=9) + done())
    return {
        "dump": dump,
        "bulk-flush": ack(),
        "fallback": datagrams(error(22, "Bulk delete is not supported"), dump, ack(), ack(), error(2), ack()),
        "eopnotsupp": datagrams(error(95), dump, ack(), ack()),
    }


def nft_conversation(messages):
    """NEWTABLE, NEWCHAIN, NEWCHAIN answers, then the rule dump."""
    tables = [m for m in messages if m[4:6] == struct.pack("<H", 0x0a00)]
    chains = [m for m in messages if m[4:6] == struct.pack("<H", 0x0a03)]
    rules = [m for m in messages if m[4:6] == struct.pack("<H", 0x0a06)]
    if not tables or len(chains) < 2:
        return None
    return datagrams(tables[0], chains[0], chains[1], b"".join(rules) + done())


def seeds_nftables():
    out = {}
    replies = message_lines(NFT, "kernelReplies")
    if replies:
        out["inspect-kernel"] = nft_conversation(replies)
        out["probe"] = replies[-1]
        # the table again with NFT_TABLE_F_DORMANT set (flags attribute 2)
        dormant = replies[0].replace(bytes.fromhex("0800020000000000"), bytes.fromhex("0800020000000001"))
        out["inspect-dormant"] = nft_conversation([dormant] + replies[1:])
        out["decoders"] = b"".join(replies)
    for name in ("bridgeScopedBlock", "portOnlyBlock"):
        conversation = nft_conversation(message_lines(NFT, name))
        if conversation:
            out["inspect-" + name] = conversation
    out["absent"] = error(2)
    out["chain-missing"] = datagrams(replies[0], error(2), error(2), done()) if replies else error(2)
    return {k: v for k, v in out.items() if v}


def seeds_nftevents():
    out = {}
    gen = message_lines(NFT, "kernelReplies")[-1:]
    for name in ("bridgeScopedBlock", "portOnlyBlock", "unblock"):
        messages = message_lines(NFT, name)
        if messages and gen:
            out["events-" + name] = b"".join(messages) + gen[0]
            out["events-split-" + name] = datagrams(*messages, gen[0])
    return out


def seeds_arptables():
    blob = hex_fixture(ARPT, "foreignBlob")
    if blob is None:
        return {}
    # ARPT_SO_GET_INFO of that table (see the fixture's comment)
    header = struct.pack("<8I", 7, 0, 464, 696, 232, 464, 928, 12)
    return {"foreign": header + blob}


def seeds_iptables():
    out = {}
    for name, family in (("ipv4PhysdevInDrop", 0), ("ipv4PhysdevOutReturn", 0), ("ipv4Jump", 0), ("ipv6PhysdevInDrop", 1)):
        data = hex_fixture(IPT, name)
        if data is not None:
            out[name] = bytes([family]) + data
    return out


def seeds_statefile():
    return {
        "bridge": b"bridge=xenbr1\ncreated=1\nuplink=eth1\n",
        "registry": b"02:00:00:00:00:01=vif1.0\n02:00:00:00:00:02=tap3\nnot-a-mac=vif2.0\n",
        "odd": b"=\nkey=\n=value\nno equals\nk=v=w\n\n\xff\xfe=\xc3\x28\n",
        "no-newline": b"a=b",
    }


def seeds_lsbconfig():
    out = {}
    examples = os.path.join(ROOT, "agents", "examples")
    if os.path.isdir(examples):
        for name in sorted(os.listdir(examples)):
            with open(os.path.join(examples, name), "rb") as handle:
                out["example-" + name] = handle.read()
    out["syntax"] = (b"# comment\n\nexport bridge=xenbr1\nuplink = 'eth1' # trailing\nmtu=\"9000\"\n"
                     b"\tarp=off#not a comment\nbad name=1\nx='unterminated\n")
    return out


TARGETS = {
    "netlink": seeds_netlink, "links": seeds_links, "fdb": seeds_fdb,
    "nftables": seeds_nftables, "nftevents": seeds_nftevents,
    "arptables": seeds_arptables, "iptables": seeds_iptables,
    "statefile": seeds_statefile, "lsbconfig": seeds_lsbconfig,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "fuzz", "corpus"))
    parser.add_argument("targets", nargs="*")
    args = parser.parse_args()
    failed = False
    for target in args.targets or TARGETS:
        if target not in TARGETS:
            sys.exit(f"seeds.py: unknown target {target}")
        seeds = TARGETS[target]()
        folder = os.path.join(args.out, target)
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            os.remove(os.path.join(folder, old))
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)
        total = sum(len(d) for d in seeds.values())
        print(f"seeds.py: {target}: {len(seeds)} seeds, {total} bytes", file=sys.stderr)
        if not seeds:
            print(f"seeds.py: error: no seeds for {target}", file=sys.stderr)
            failed = True
    for missing in sorted(set(MISSING)):
        print(f"seeds.py: warning: fixture not found: {missing}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
