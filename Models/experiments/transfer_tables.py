#!/usr/bin/env python3
"""Tables of transfer-fmnist.md from the summaries that `feint bench summarize` wrote.

    python3 Models/experiments/transfer_tables.py OUT [PREFIX]

OUT is the output folder of transfer.sh after the summarize commands of the document's setup:
OUT/PREFIX-{eps16,eps8,eps01}[-di]/summary.{json,md} and OUT/PREFIX-eps16-gso/summary.md
(PREFIX defaults to "transfer"; "transfer-cifar10" for the CIFAR-10 specs), or a folder of the
committed layout, OUT/PREFIX-{budget}[-di].summary.{json,md}.gz (results/transfer-fmnist). Prints Markdown to
stdout, one section per table: held-out averages per budget, paired differences NAMEA −
baseline, the ablations, GSO, and every per-target table. Budgets, ablations and GSO whose
summaries are absent are left out (the CIFAR-10 run has 16/255 and 8/255, no ablations). Python 3 standard library only; it reformats numbers, it
computes none beyond flipping the sign of a difference.
"""
import contextlib
import gzip
import io
import json
import math
import os
import sys

BUDGETS = [("16/255", "eps16"), ("8/255", "eps8"), ("0.1", "eps01")]
FAMILIES = [("cnn", "CNN avg"), ("transformer", "transformer avg"), ("all", "overall"), ("robust", "robust avg")]
PAIRS = [("namea", "ens"), ("namea", "svre"), ("namea", "adaea"), ("namea", "smer"),
         ("di-namea", "di-mi-ens"), ("di-namea", "di-svre"), ("di-namea", "di-adaea"), ("di-namea", "di-smer")]
ABLATIONS = [("namea-no-meta-test", "no meta-test"), ("namea-no-meta-train", "no meta-train"),
             ("namea-zero-fill", "zero fill"), ("namea-code-threshold", "code threshold")]


def load(path):
    with open(path) as f:
        return json.load(f) if path.endswith(".json") else f.read().strip()


def summary(out, name, ext):
    """OUT/NAME/summary.EXT (transfer.sh's layout) or OUT/NAME.summary.EXT.gz (the committed one);
    the JSON parsed, the Markdown as text; None when neither exists."""
    folder, flat = f"{out}/{name}/summary.{ext}", f"{out}/{name}.summary.{ext}.gz"
    if os.path.exists(folder):
        return load(folder)
    if os.path.exists(flat):
        with gzip.open(flat, "rt") as f:
            return json.load(f) if ext == "json" else f.read().strip()
    return None


def away(tenths):
    """A count of tenths rounded half away from zero, back in units: Swift's `.rounded()`,
    with which Feint's summaries (`Spread`) round, so both tables give the same digits."""
    return math.copysign(math.floor(abs(tenths) + 0.5), tenths) / 10


def pm(stat, sign=False):
    """"m ± s" in percentage points with a typographic minus; "+m" when sign is asked."""
    # Spread.percent rounds (100·x)·10, Spread.signedPercent 1000·x: the same float steps here.
    m = away(stat["mean"] * 1000) if sign else away(stat["mean"] * 100 * 10)
    s = away(stat["std"] * 100 * 10)
    if m == 0:
        m = 0.0
    text = ("%+.1f" if sign and m != 0 else "%.1f") % m
    return text.replace("-", "−") + " ± %.1f" % s


def negated(stat):
    """The summaries store baseline − reference; the document shows reference − baseline."""
    return {"mean": -stat["mean"], "std": stat["std"]}


def required(out, name, ext):
    s = summary(out, name, ext)
    if s is None:
        raise OSError(f"no {out}/{name}/summary.{ext} (or {name}.summary.{ext}.gz)")
    return s


def budgets(out, prefix):
    """The budgets whose summaries exist (an error when none does)."""
    found = [(label, b) for label, b in BUDGETS if summary(out, f"{prefix}-{b}", "json") is not None]
    if not found:
        raise OSError(f"no {out}/{prefix}-{{{','.join(b for _, b in BUDGETS)}}}/summary.json (or .summary.json.gz)")
    return found


def averages(out, prefix):
    print("## Held-out averages\n")
    for label, b in budgets(out, prefix):
        s = required(out, f"{prefix}-{b}", "json")
        seeds = ", ".join(str(x) for x in s["seeds"])
        print(f"**ε = {label}** (seeds {seeds})\n")
        print("| attack | " + " | ".join(n for _, n in FAMILIES) + " | grad evals / image |")
        print("|---|" + "---:|" * (len(FAMILIES) + 1))
        for r in s["rows"]:
            if r["attack"].startswith("namea-"):
                continue
            cells = " | ".join(pm(r["averages"][k]) for k, _ in FAMILIES)
            print(f"| {r['attack']} | {cells} | {r['gradientEvaluationsPerImage']} |")
        print()


def differences(out, prefix):
    print("## Paired differences NAMEA − baseline\n")
    print("| ε | family | " + " | ".join(f"{a} − {b}" for a, b in PAIRS) + " |")
    print("|---|---|" + "---:|" * len(PAIRS))
    for label, b in budgets(out, prefix):
        plain = {r["attack"]: r for r in required(out, f"{prefix}-{b}", "json")["rows"]}
        di = {r["attack"]: r for r in required(out, f"{prefix}-{b}-di", "json")["rows"]}
        for k, name in FAMILIES[:3]:
            cells = [pm(negated((plain if a == "namea" else di)[base]["difference"][k]), sign=True)
                     for a, base in PAIRS]
            print(f"| {label} | {name} | " + " | ".join(cells) + " |")
    print()


def ablations(out, prefix):
    s = summary(out, f"{prefix}-eps16", "json")
    if s is None:
        return
    rows = {r["attack"]: r for r in s["rows"]}
    if not any(attack in rows for attack, _ in ABLATIONS):
        return
    seeds = ", ".join(str(x) for x in s["seeds"])
    print(f"## Ablations at 16/255 (variant − NAMEA, seeds {seeds})\n")
    print("| variant | " + " | ".join(n for _, n in FAMILIES) + " |")
    print("|---|" + "---:|" * len(FAMILIES))
    for attack, name in ABLATIONS:
        d = rows[attack]["difference"]
        print(f"| {name} | " + " | ".join(pm(d[k], sign=True) for k, _ in FAMILIES) + " |")
    print()


def per_target(out, prefix):
    print("## Per-target tables\n")
    gso = summary(out, f"{prefix}-eps16-gso", "md")
    if gso is not None:
        print(f"### GSO at 16/255 (`{prefix}-eps16-gso.json`)\n\n{gso}\n")
    for label, b in budgets(out, prefix):
        plain = required(out, f"{prefix}-{b}", "md")
        di = required(out, f"{prefix}-{b}-di", "md")
        di = di[di.index("Difference to di-namea"):]
        print(f"### ε = {label} (`{prefix}-{b}.json`)\n\n{plain}\n\n{di}\n")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2].strip().join(["usage: ", ""]))
    out, prefix = sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "transfer"
    text = io.StringIO()
    try:
        with contextlib.redirect_stdout(text):  # all or nothing: no half document on an error
            averages(out, prefix)
            differences(out, prefix)
            ablations(out, prefix)
            per_target(out, prefix)
    except (OSError, KeyError, ValueError) as error:
        sys.exit(f"transfer_tables.py: {error} (run the summarize commands of transfer-fmnist.md first)")
    sys.stdout.write(text.getvalue())


if __name__ == "__main__":
    main()
