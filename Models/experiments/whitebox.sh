#!/usr/bin/env bash
# White-box acceptance experiment (issue #4): uniform-start PGD vs ODI-PGD at R = 1, 5, 10, 20
# restarts and APGD-CE / APGD-DLR at a matched number of gradient evaluations, on the robust
# SmallCNN and the robust ViT, Fashion-MNIST test, ε = 0.1, K = 20, α = ε/4, margin loss,
# 1 000 images, seeds 0, 1, 2; then the attack loop's throughput against `feint perf`.
#
#   Models/experiments/whitebox.sh OUT_DIR [MODEL...]
#
# EPS (default 0.1) sets ε, e.g. EPS=0.0313725 (8/255) for CIFAR-10 models, which also need
# --data: pass it as DATA=DIR (the folder holding train/ and test/). N (default 1000) sets the
# number of test images.
# RUNS (default "pgd-uniform pgd-odi apgd-ce apgd-dlr") picks the runs, THROUGHPUT=0 skips the
# throughput rounds at the end (e.g. when a queue runs the pieces side by side).
# Writes one JSON per (model, attack) to OUT_DIR and prints the summaries. The curve of a
# 20-restart run gives R = 1, 5, 10 as well: restart r of a seed draws the same starts whether
# or not more restarts follow. APGD runs 110 iterations, one restart: the nominal budget of
# ODI-PGD at R = 5 (5 × (20 + 2) gradient evaluations per image).
set -euo pipefail
out="${1:?usage: whitebox.sh OUT_DIR [MODEL...]}"; shift
models=("${@:-fmnist-smallcnn-at fmnist-vit-p7-at}")
feint="${FEINT:-$(dirname "$0")/../../.build/release/feint}"
mkdir -p "$out"
common=(--eps "${EPS:-0.1}" --n "${N:-1000}" --batch 128 --seeds 0,1,2)
if [[ -n "${DATA:-}" ]]; then common+=(--data "$DATA"); fi
# run FILE ARGS...: one evaluation, skipped when FILE exists (rerunning the script resumes).
run() { local file="$1"; shift; [[ -f "$file" ]] || "$feint" robust "$@" "${common[@]}" --output "$file"; }
for m in ${models[*]}; do
    for r in ${RUNS:-pgd-uniform pgd-odi apgd-ce apgd-dlr}; do
        case "$r" in
            pgd-uniform) run "$out/$m-$r.json" --model "$m" --attack pgd --init uniform --loss margin --steps 20 --restarts 20 ;;
            pgd-odi) run "$out/$m-$r.json" --model "$m" --attack pgd --init odi --loss margin --steps 20 --restarts 20 ;;
            apgd-ce) run "$out/$m-$r.json" --model "$m" --attack apgd --loss ce --steps 110 ;;
            apgd-dlr) run "$out/$m-$r.json" --model "$m" --attack apgd --loss dlr --steps 110 ;;
            *) echo "whitebox.sh: unknown run '$r'" >&2; exit 2 ;;
        esac
    done
done
[[ "${THROUGHPUT:-1}" == 0 ]] && exit 0
# Throughput: PGD's gradient evaluations per second inside the attack loop at batch 128 (one
# restart, uniform start, 1 024 images, every image attacked so batches stay full; the loop's
# clean and final forward passes included)
# beside `feint perf`'s attack step on the same architecture, alternated 3 times; then the same
# loop with early exit (the default: only the images still correctly classified are attacked).
for round in 1 2 3; do
    echo "round $round, --no-early-exit:"
    "$feint" robust --model fmnist-smallcnn-at --attack pgd --init uniform --restarts 1 --n 1024 --batch 128 --seed 0 \
        --no-early-exit --json \
        | grep 'radientEvaluationsPerSecond"'
    echo "round $round, early exit:"
    "$feint" robust --model fmnist-smallcnn-at --attack pgd --init uniform --restarts 1 --n 1024 --batch 128 --seed 0 --json \
        | grep 'radientEvaluationsPerSecond"'
    "$feint" perf --models smallcnn --batch 128 --steps attack --seconds 5
done
