"""One crm_mon view as a line of words, for scripts/cluster/scenario.

Reads `crm_mon -1 -r --output-as=xml` on stdin and prints
"RSC=NODE,... [RSC-u=NODE,...] online=A,B standby=... failed=..." (every started resource
with the nodes it is active on, then the online, standby and failed lists,
each sorted).
"""
import sys
import xml.etree.ElementTree as ET

root = ET.fromstring(sys.stdin.read())
where = {}
for r in root.iter("resource"):
    if r.get("role") in ("Started", "Promoted", "Unpromoted") and r.get("active") == "true":
        # an instance of a promotable clone: "RSC=" lists where it is
        # promoted, "RSC-u=" where it runs unpromoted
        key = r.get("id") + ("-u" if r.get("role") == "Unpromoted" else "")
        for n in r.findall("node"):
            where.setdefault(key, []).append(n.get("name"))
nodes = root.find("nodes")
online = [n.get("name") for n in nodes if n.get("online") == "true" and n.get("standby") != "true"]
standby = [n.get("name") for n in nodes if n.get("standby") == "true"]
failed = [r.get("id") for r in root.iter("resource") if r.get("failed") == "true"]
print(" ".join(["%s=%s" % (k, ",".join(sorted(v))) for k, v in sorted(where.items())] +
               ["online=" + ",".join(sorted(online)), "standby=" + ",".join(sorted(standby)),
                "failed=" + ",".join(sorted(failed))]))
