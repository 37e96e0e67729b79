"""Guest groups, per group: one switchover window of the probe log, and the table.

Test tooling for `scripts/cluster/scenario groups` (not part of the product).
The probe (scripts/cluster/probe) sends one broadcast echo request per group
guest every tick (guest index = group index) and logs who answered.

  groups.py window --log LOG --offset BYTES --t0 T --t1 T --label TYPE --round N
                   --trigger TEXT --group NAME:INDEX:OLD:NEW:EXPECTED ...
      One JSON line. Per group: duplicates (a probe answered by two hosts);
      a group that moved (OLD != NEW): its outage, last answer from OLD to
      first from NEW; a group that stayed: lost answers (probes sent between
      T0 and T1 - 0.3 s that OLD did not answer) and stray answers (from any
      other host); unexpected: NEW differs from EXPECTED (a group that moved
      although its host was not affected, or went elsewhere).
  groups.py table --rounds FILE [--markdown]
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def probe_module():
    path = os.path.join(HERE, "..", "probe")
    loader = importlib.machinery.SourceFileLoader("hanet_probe", path)
    spec = importlib.util.spec_from_loader("hanet_probe", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def cmd_window(a):
    probe = probe_module()
    sends, replies, _frames = probe.read_log(a.log, a.offset, a.t0 - a.before, a.t1)
    by_seq = {}
    for _t, host, g, seq in replies:
        by_seq.setdefault((g, seq), set()).add(host)
    res = {"type": a.label, "round": a.round, "trigger": a.trigger, "t0": a.t0, "t1": a.t1,
           "ticks": sum(1 for t in sends.values() if t >= a.t0), "groups": {}}
    for spec in a.group:
        name, idx, old, new, expected = spec.split(":")
        g = int(idx)
        gi = {"old": old, "new": new, "expected": expected, "moved": old != new,
              "unexpected": new != expected,
              "dup": sum(1 for (gg, _s), hs in by_seq.items() if gg == g and len(hs) > 1)}
        rs = sorted((t, h) for t, h, gg, _s in replies if gg == g)
        if old != new:
            first_new = min((t for t, h in rs if h == new and t >= a.t0), default=None)
            last_old = max((t for t, h in rs if h == old and (first_new is None or t < first_new)), default=None)
            gi["outage_ms"] = round((first_new - last_old) * 1000, 1) if first_new and last_old else None
        else:
            window = [s for s, t in sends.items() if a.t0 <= t <= a.t1 - 0.3]
            gi["probes"] = len(window)
            gi["lost"] = sum(1 for s in window if old not in by_seq.get((g, s), ()))
            gi["stray"] = sum(1 for t, h in rs if h != old and t >= a.t0)
            ts = [t for t, h in rs if h == old and t >= a.t0]
            gi["max_gap_ms"] = round(max((y - x for x, y in zip(ts, ts[1:])), default=0) * 1000, 1)
        res["groups"][name] = gi
    print(json.dumps(res, sort_keys=True))
    return 0


def mmm(values):
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    return "%.0f / %.0f / %.0f" % (min(v), statistics.median(v), max(v))


def cmd_table(a):
    rows = {}
    with open(a.rounds) as f:
        for line in f:
            if line.startswith("{"):
                r = json.loads(line)
                for name, gi in r["groups"].items():
                    key = (r["type"], name, "moved" if gi["moved"] or gi["expected"] != gi["old"] else "stayed")
                    rows.setdefault(key, []).append(gi)
    head = ["switchover", "group", "role", "times", "outage ms (min / median / max)", "duplicates",
            "lost answers (of probes)", "longest gap ms", "moved unexpectedly"]
    order = ["move", "move-back", "standby", "standby-back", "crash", "crash-back"]
    lines = []
    for (typ, name, role), gs in sorted(rows.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 9, kv[0][1], kv[0][2])):
        dup = sum(g["dup"] for g in gs)
        unexp = sum(1 for g in gs if g["unexpected"])
        if role == "moved":
            lines.append([typ, name, "moved", str(len(gs)), mmm(g.get("outage_ms") for g in gs), str(dup), "-", "-", str(unexp)])
        else:
            lost = sum(g.get("lost", 0) for g in gs)
            probes = sum(g.get("probes", 0) for g in gs)
            lines.append([typ, name, "stayed", str(len(gs)), "-", str(dup), "%d (of %d)" % (lost, probes),
                          mmm(g.get("max_gap_ms") for g in gs), str(unexp)])
    if a.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for l in lines:
            print("| " + " | ".join(l) + " |")
    else:
        w = [max([len(head[i])] + [len(l[i]) for l in lines]) for i in range(len(head))]
        print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)).rstrip())
        for l in lines:
            print("  ".join(c.ljust(w[i]) for i, c in enumerate(l)).rstrip())
    return 0


def main():
    p = argparse.ArgumentParser(prog="groups.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("window")
    w.add_argument("--log", required=True)
    w.add_argument("--offset", type=int, default=0)
    w.add_argument("--t0", type=float, required=True)
    w.add_argument("--t1", type=float, required=True)
    w.add_argument("--before", type=float, default=2.0)
    w.add_argument("--label", required=True)
    w.add_argument("--round", type=int, default=0)
    w.add_argument("--trigger", default="")
    w.add_argument("--group", action="append", required=True)
    t = sub.add_parser("table")
    t.add_argument("--rounds", required=True)
    t.add_argument("--markdown", action="store_true")
    a = p.parse_args()
    return {"window": cmd_window, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
