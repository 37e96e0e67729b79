"""The quorum-loss rounds of scripts/cluster/scenario as a table.

    python3 quorum.py --file quorum.jsonl [--max-ms 500] [--markdown]

One row for the rounds, one for the control (quorum_block=false), each:
how long after losing quorum the promoted host P still answered (its
guests' last answer - t_q, min / median / max), rounds within the limit,
duplicates, the new host's outage, rounds where the new host served both
guests, P's agent logging "lost quorum", cleanups/restarts needed; then the
per-round values.
"""
import argparse
import json
import re
import statistics


def ms(x):
    s = "%.0f" % x
    return "0" if s == "-0" else s


def mmm(values):
    v = [x for x in values if x is not None]
    if not v:
        return "- / - / -"
    return " / ".join(ms(x) for x in (min(v), statistics.median(v), max(v)))


def own_ms(r):
    """The sentinel's own figure: "... guests blocked in N ms" (None if not logged)."""
    m = re.search(r"blocked in (\d+) ms", r.get("sentinel") or "")
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--max-ms", type=float, default=500.0)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    rows = {"round": [], "control": []}
    with open(a.file) as f:
        for line in f:
            if line.startswith("{"):
                r = json.loads(line)
                rows.setdefault(r.get("kind", "round"), []).append(r)
    head = ["rounds", "n", "P's last answer - quorum loss, ms (min / median / max)",
            "within %.0f ms" % a.max_ms, "duplicates (rounds with any)", "new host's outage ms",
            "new host serves", "P's agent logged \"lost quorum\"", "its own figure: blocked in ms",
            "cleanup / restart needed", "P was the DC", "passed"]
    table = []
    for kind, label in (("round", "quorum_block=true (default)"), ("control", "control: quorum_block=false")):
        rs = rows.get(kind) or []
        if not rs:
            continue
        d = [r.get("last_minus_tq_ms") for r in rs]
        within = sum(1 for x in d if x is not None and x <= a.max_ms)
        dups = sum(r.get("dup", 0) for r in rs)
        dup_rounds = sum(1 for r in rs if r.get("dup", 0))
        table.append([label, str(len(rs)), mmm(d), "%d/%d" % (within, len(rs)),
                      "%d (%d)" % (dups, dup_rounds), mmm(r.get("outage_ms") for r in rs),
                      "%d/%d" % (sum(1 for r in rs if r.get("new_serving")), len(rs)),
                      "%d/%d" % (sum(1 for r in rs if r.get("sentinel")), len(rs)),
                      mmm(own_ms(r) for r in rs),
                      "%d / %d" % (sum(1 for r in rs if r.get("cleanup")), sum(1 for r in rs if r.get("rebooted"))),
                      "%d/%d" % (sum(1 for r in rs if r.get("p_was_dc")), len(rs)),
                      "%d/%d" % (sum(1 for r in rs if not r.get("checks_failed")), len(rs))])
    if a.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for t in table:
            print("| " + " | ".join(t) + " |")
    else:
        for t in table:
            print("  " + "; ".join("%s: %s" % (h, v) for h, v in zip(head, t)))
    print()
    for kind in ("round", "control"):
        rs = rows.get(kind) or []
        if not rs:
            continue
        vals = ", ".join("%s%s" % ("?" if r.get("last_minus_tq_ms") is None else ms(r["last_minus_tq_ms"]),
                                   " (DC)" if r.get("p_was_dc") else "") for r in rs)
        print("%sP's last answer - quorum loss per %s, ms: %s" % ("* " if a.markdown else "  ", kind, vals))
        cl = ["%d: %s" % (r.get("round", 0), r["cleanup"]) for r in rs if r.get("cleanup")]
        if cl:
            print("%scleanups (%s): %s" % ("* " if a.markdown else "  ", kind, "; ".join(cl)))
        sent = [r.get("sentinel") for r in rs if r.get("sentinel")]
        if sent:
            print("%sP's agent, e.g.: `%s`" % ("* " if a.markdown else "  ", sent[0].strip()[:200]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
