#!/usr/bin/env python3
"""Tables of blackbox-fmnist.md (and the CIFAR-10 black-box document) from blackbox.sh's output.

    python3 Models/experiments/blackbox_tables.py OUT [TARGET...]

OUT holds TARGET-{simba,simba-dct,simba-ods,boundary,boundary-ods}.json as `feint blackbox
--output` wrote them (plain or .json.gz); TARGET defaults to every target with a file there.
Prints Markdown: SimBA's success rate and queries to success (mean, median, 90th percentile,
the value at index ⌊0.9 n⌋ of the sorted counts) with the median L2, and the mean over every
image with failures at the queries they spent (a lower bound on the cost), then Boundary's median L2 after 1 000 / 5 000 / 10 000 queries,
the median queries to the starting adversarial and the run's time.
Python 3 standard library only; it reformats what the runs recorded.
"""
import glob
import gzip
import json
import os
import statistics
import sys

SIMBA = [("simba", "SimBA (pixel)"), ("simba-dct", "SimBA-DCT"), ("simba-ods", "SimBA-ODS")]
BOUNDARY = [("boundary", "Boundary"), ("boundary-ods", "Boundary-ODS")]


def load(out, target, attack):
    for path in (f"{out}/{target}-{attack}.json", f"{out}/{target}-{attack}.json.gz"):
        if os.path.exists(path):
            with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
                return json.load(f)
    return None


def results(out, targets, attacks):
    """(target, attack title, result) for every result file present, in table order."""
    for t in targets:
        for attack, name in attacks:
            r = load(out, t, attack)
            if r is not None:
                yield t, name, r


def percentile(values, p):
    """The value at index ⌊p·n/100⌋ of the sorted values (p = 90: the 451st of 500)."""
    s = sorted(values)
    return s[min(int(p / 100 * len(s)), len(s) - 1)]


def number(v, digits=1):
    text = f"{v:,.{digits}f}".replace(",", " ")
    return text


def minutes(seconds):
    return f"{seconds / 60:.0f} min"


def simba_table(out, targets):
    print("## SimBA: queries to success\n")
    print("| target | attack | images | success | mean queries | median queries | 90th percentile | median L2 | mean, all images |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for t, name, r in results(out, targets, SIMBA):
        queries = [s["queries"] for s in r["samples"] if s["success"]]
        l2 = [s["l2"] for s in r["samples"] if s["success"] and s["l2"] is not None]
        # Every image, a failure at the queries it spent (the whole budget): a lower bound on the
        # mean cost that does not leave out the images an attack could not break.
        spent = [s["queries"] for s in r["samples"]]
        print(f"| {t} | {name} | {r['images']} | {r['successRate'] * 100:.1f} % | "
              + (f"{number(statistics.mean(queries))} | {number(statistics.median(queries))} | {number(percentile(queries, 90), 0)} | "
                 if queries else "– | – | – | ")
              + (f"{statistics.median(l2):.2f} | " if l2 else "– | ")
              + f"{number(statistics.mean(spent))} |")
    print()


def boundary_table(out, targets):
    print("## Boundary: median L2 distance after 1 000 / 5 000 / 10 000 queries\n")
    print("| target | images | attack | L2 @ 1 000 | L2 @ 5 000 | L2 @ 10 000 | median queries to the start | time (one core) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for t, name, r in results(out, targets, BOUNDARY):
        at = r["medianL2AtQueries"]
        cells = " | ".join(f"{at[q]:.3f}" if at.get(q) is not None else "∞" for q in ["1000", "5000", "10000"])
        start = statistics.median(s["queries"] for s in r["samples"])
        print(f"| {t} | {r['images']} | {name} | {cells} | {number(start, 0)} | {minutes(r['seconds'])} |")
    print()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2].strip().join(["usage: ", ""]))
    out = sys.argv[1]
    attacks = [a for a, _ in SIMBA + BOUNDARY]
    bases = [os.path.basename(p).split(".json")[0] for p in glob.glob(f"{out}/*.json*")]
    targets = sys.argv[2:] or sorted({b[: -len(a) - 1] for b in bases for a in attacks if b.endswith("-" + a)})
    if not targets:
        sys.exit(f"blackbox_tables.py: no black-box results in {out}")
    try:
        simba_table(out, targets)
        boundary_table(out, targets)
    except (OSError, KeyError, ValueError) as error:
        sys.exit(f"blackbox_tables.py: {error}")


if __name__ == "__main__":
    main()
