#!/usr/bin/env python3
"""Markdown tables from the rows bench/lib.sh collects.

rows.tsv columns: implementation, action, guests (N, may be empty),
hyperfine JSON, child processes, instructions (callgrind), expected exit code.

  table.py ROWS                       detail: one line per timed command
  table.py ROWS --pivot               median per implementation/action, one column per N
  table.py ROWS --ratio BASE IMPL...  BASE median / IMPL median per action (and N)
  table.py ROWS --floor IMPL          adds "minus floor" (median minus IMPL's median)

Rows of the same command (implementation, action, N) timed in several rounds
are pooled. Exits non-zero if a timed command ever returned another exit code
than expected.
"""
import json
import sys


def load(path):
    """Rows in first-seen order; rows of the same command (rounds) are pooled."""
    rows = {}
    for line in open(path):
        impl, action, n, js, kids, instr, rc = line.rstrip("\n").split("\t")
        r = json.load(open(js))["results"][0]
        bad = [c for c in r.get("exit_codes", []) if c != int(rc)]
        if bad:
            sys.exit(f"table.py: '{impl} {action}' (N={n}) exited {bad[0]}, expected {rc}")
        row = rows.setdefault((impl, action, n), dict(impl=impl, action=action, n=n, times=[], kids="-", instr="-", rc=rc, rounds=0))
        row["times"] += [t * 1000 for t in r["times"]]
        row["rounds"] += 1
        if kids != "-":
            row["kids"] = kids
        if instr != "-":
            row["instr"] = instr
    for row in rows.values():
        row["times"].sort()
    return list(rows.values())


def q(times, p):
    """Nearest-rank percentile."""
    i = max(0, min(len(times) - 1, round(p / 100 * (len(times) - 1))))
    return times[i]


def med(r):
    return q(r["times"], 50)


def fmt_instr(s):
    return "-" if s in ("-", "") else f"{int(s):,}"


def detail(rows, floor):
    base = None
    if floor:
        f = [r for r in rows if r["impl"] == floor]
        base = med(f[0]) if f else None
    has_n = any(r["n"] for r in rows)
    head = ["implementation", "action"] + (["guests"] if has_n else []) + ["median (ms)"]
    head += ["minus floor (ms)"] if base is not None else []
    head += ["p10 (ms)", "p90 (ms)", "min (ms)", "max (ms)", "runs", "exit", "child processes", "instructions"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * (3 if has_n else 2) + ["---:"] * (len(head) - (3 if has_n else 2))) + "|")
    for r in rows:
        t = r["times"]
        cells = [r["impl"], r["action"]] + ([r["n"]] if has_n else []) + [f"{med(r):.2f}"]
        cells += [f"{med(r) - base:.2f}"] if base is not None else []
        cells += [f"{q(t, 10):.2f}", f"{q(t, 90):.2f}", f"{t[0]:.2f}", f"{t[-1]:.2f}", str(len(t)), r["rc"], r["kids"], fmt_instr(r["instr"])]
        print("| " + " | ".join(cells) + " |")


def pivot(rows):
    ns = []
    for r in rows:
        if r["n"] not in ns:
            ns.append(r["n"])
    keys = []
    for r in rows:
        if (r["impl"], r["action"]) not in keys:
            keys.append((r["impl"], r["action"]))
    print("| implementation | action | " + " | ".join(f"N={n} median (p90) ms" for n in ns) + " | child processes |")
    print("|---|---|" + "---:|" * len(ns) + "---:|")
    for impl, action in keys:
        cells, kids = [], []
        for n in ns:
            m = [r for r in rows if (r["impl"], r["action"], r["n"]) == (impl, action, n)]
            if m:
                cells.append(f"{med(m[0]):.2f} ({q(m[0]['times'], 90):.2f})")
                kids.append(m[0]["kids"])
            else:
                cells.append("-")
        kid = "/".join(dict.fromkeys(kids)) if kids else "-"
        print(f"| {impl} | {action} | " + " | ".join(cells) + f" | {kid} |")


def ratio(rows, base, impls):
    lines = []
    for r in rows:
        if r["impl"] != base:
            continue
        for impl in impls:
            for o in rows:
                if (o["impl"], o["action"], o["n"]) == (impl, r["action"], r["n"]):
                    n = f" N={r['n']}" if r["n"] else ""
                    lines.append(f"| {r['action']}{n} | {impl} | {med(r):.2f} | {med(o):.2f} | {med(r) / med(o):.1f}x |")
    print(f"| action | implementation | {base} median (ms) | implementation median (ms) | {base} / implementation |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(lines))


def main(argv):
    rows = load(argv[1])
    args = argv[2:]
    if "--pivot" in args:
        pivot(rows)
    elif "--ratio" in args:
        i = args.index("--ratio")
        ratio(rows, args[i + 1], args[i + 2:])
    else:
        floor = args[args.index("--floor") + 1] if "--floor" in args else None
        detail(rows, floor)


if __name__ == "__main__":
    main(sys.argv)
