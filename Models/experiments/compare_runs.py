#!/usr/bin/env python3
"""Image-for-image comparison of two transfer runs of the same spec and seed.

    python3 Models/experiments/compare_runs.py OLD NEW [OLD NEW ...]

Each OLD and NEW is a `results.json` written by `feint bench run`/`merge` (or the same gzip'd,
`.json.gz`). For every pair, every attack row and target column present in both runs, the
adversarial prediction of each image is compared. Prints one line per pair and a total; exits 1
if any prediction differs, or if the two runs differ in seed, budget, image count or labels.
Used by transfer-fmnist.md to show that adding a target model changes no adversarial image.
Python 3 standard library only.
"""
import gzip
import json
import sys


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def compare(old_path, new_path):
    old, new = load(old_path), load(new_path)
    for key in ("seed", "epsilon", "steps", "images", "labels"):
        if old[key] != new[key]:
            sys.exit(f"compare_runs.py: {old_path} and {new_path} differ in {key}; not the same run")
    new_rows = {r["attack"]: r for r in new["rows"]}
    compared = matched = 0
    for row in old["rows"]:
        other = new_rows.get(row["attack"])
        if other is None:
            continue
        for target, predictions in row["predictions"].items():
            if target not in other["predictions"]:
                continue
            pairs = list(zip(predictions, other["predictions"][target]))
            compared += len(pairs)
            matched += sum(a == b for a, b in pairs)
    return compared, matched


def main():
    paths = sys.argv[1:]
    if not paths or len(paths) % 2:
        sys.exit("usage: compare_runs.py OLD NEW [OLD NEW ...]")
    total = same = 0
    for old, new in zip(paths[::2], paths[1::2]):
        compared, matched = compare(old, new)
        print(f"{old} vs {new}: {matched:,} of {compared:,} predictions equal")
        total, same = total + compared, same + matched
    print(f"total: {same:,} of {total:,} predictions equal")
    sys.exit(0 if same == total and total > 0 else 1)


if __name__ == "__main__":
    main()
