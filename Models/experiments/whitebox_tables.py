#!/usr/bin/env python3
"""Tables of whitebox-fmnist.md (and the CIFAR-10 white-box document) from whitebox.sh's output.

    python3 Models/experiments/whitebox_tables.py OUT [MODEL...]

OUT holds MODEL-{pgd-uniform,pgd-odi,apgd-ce,apgd-dlr}.json as `feint robust --seeds … --output`
wrote them (plain or .json.gz); MODEL defaults to every model with a pgd-odi file. Prints Markdown:
per model, robust accuracy after R = 1, 5, 10, 20 restarts for uniform-start and ODI-PGD
(mean ± sample std over the seeds, the per-seed values in brackets), the attacks at their
gradient budgets, and the last restart that still lowered each seed's robust accuracy.
Python 3 standard library only; it reformats the numbers the runs recorded.
"""
import glob
import gzip
import json
import os
import statistics
import sys

RESTARTS = [1, 5, 10, 20]


def load(out, model, run):
    for path in (f"{out}/{model}-{run}.json", f"{out}/{model}-{run}.json.gz"):
        if os.path.exists(path):
            with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
                return json.load(f)
    raise OSError(f"no {out}/{model}-{run}.json(.gz)")


def spread(values):
    """'m ± s (v1, v2, …)' in % with the per-seed values."""
    m = statistics.mean(values) * 100
    s = statistics.stdev(values) * 100 if len(values) > 1 else 0.0
    seeds = ", ".join("%.1f" % (v * 100) for v in values)
    return "%.2f ± %.2f (%s)" % (m, s, seeds)


def signed(x):
    """'+0.07' or '−0.37' (a typographic minus)."""
    return ("%+.2f" % x).replace("-", "−")


def mean(values):
    return statistics.mean(values) * 100


def after(result, r):
    """Per-seed robust accuracy after restart r."""
    return [run["robustAfterRestart"][r - 1] for run in result["runs"]]


def last_change(curve):
    """The last restart (1-based) that lowered the robust accuracy (1 when none did)."""
    last = 1
    for r in range(1, len(curve)):
        if curve[r] < curve[r - 1]:
            last = r + 1
    return last


def per_image(result):
    return result["gradientEvaluationsPerImage"]["mean"]


def model_tables(out, model):
    uniform, odi = load(out, model, "pgd-uniform"), load(out, model, "pgd-odi")
    ce, dlr = load(out, model, "apgd-ce"), load(out, model, "apgd-dlr")
    print(f"## `{model}` (clean accuracy {odi['cleanAccuracy'] * 100:.1f} % on these {odi['images']} images, "
          f"seeds {', '.join(str(s) for s in odi['seeds'])})\n")
    print("| R | uniform-start PGD | ODI-PGD | ODI − uniform |")
    print("|---:|---:|---:|---:|")
    for r in RESTARTS:
        u, o = after(uniform, r), after(odi, r)
        print(f"| {r} | {spread(u)} | {spread(o)} | {signed(mean(o) - mean(u))} |")
    print()
    steps_ce = ce["runs"][0]["settings"].get("steps", "?")
    print("| attack | gradient evaluations / image | robust accuracy (%) |")
    print("|---|---:|---:|")
    print(f"| APGD-CE, {steps_ce} iterations | {per_image(ce):.0f} | {spread([x['robustAccuracy'] for x in ce['runs']])} |")
    print(f"| APGD-DLR, {steps_ce} iterations | {per_image(dlr):.0f} | {spread([x['robustAccuracy'] for x in dlr['runs']])} |")
    k, n_odi = int(odi["runs"][0]["settings"]["steps"]), int(odi["runs"][0]["settings"].get("odiSteps", 0))
    print(f"| ODI-PGD, R = 5 | ≤ {5 * (k + n_odi)} (nominal 5 × ({k} + {n_odi})) | {spread(after(odi, 5))} |")
    print(f"| ODI-PGD, R = 20 | {per_image(odi):.0f} | {spread(after(odi, 20))} |")
    print(f"| uniform-start PGD, R = 20 | {per_image(uniform):.0f} | {spread(after(uniform, 20))} |")
    print()
    lasts = lambda res: ", ".join(str(last_change(run["robustAfterRestart"])) for run in res["runs"])
    print(f"Last restart that lowered the robust accuracy, per seed: uniform {lasts(uniform)}; ODI {lasts(odi)}.\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2].strip().join(["usage: ", ""]))
    out = sys.argv[1]
    models = sys.argv[2:] or sorted({os.path.basename(p).split("-pgd-odi.json")[0] for p in glob.glob(f"{out}/*-pgd-odi.json*")})
    if not models:
        sys.exit(f"whitebox_tables.py: no *-pgd-odi.json in {out}")
    try:
        for m in models:
            model_tables(out, m)
    except (OSError, KeyError, IndexError, ValueError) as error:
        sys.exit(f"whitebox_tables.py: {error}")


if __name__ == "__main__":
    main()
