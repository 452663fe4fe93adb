#!/usr/bin/env bash
# Transfer acceptance experiment (issue #6): transfer-eps8.json, transfer-eps16.json and
# transfer-eps01.json (ε = 8/255, 16/255, 0.1; T = 10, α = ε/10, μ = 1; 1 000 Fashion-MNIST test
# images; surrogates SmallCNN, ResNet-8, ViT-p4, MLP-Mixer; held-out targets LeNet-5, MobileNet,
# VGG, ViT-p7, Mixer-p7 and the adversarially trained SmallCNN-AT and ViT-p7-AT), each with seeds
# 0, 1, 2. The four NAMEA ablations are in the 16/255 spec only; transfer-eps16-gso.json (NAMEA
# with and without its gradient scaling) runs when named:
#   transfer.sh OUT "0 1 2" Models/experiments/transfer-eps16-gso.json
#
#   Models/experiments/transfer.sh OUT_DIR [SEEDS] [SPECS...]
#
# Every run goes shard by shard (10 shards of 100 images) with --resume, so an interrupted
# experiment continues where it stopped. Then each run is merged, and every finished seed of each
# spec summarised (mean ± std) into OUT_DIR/<spec>/summary.{md,json} with differences to NAMEA,
# and, for specs with a DI-NAMEA row, into OUT_DIR/<spec>-di/ with differences to DI-NAMEA.
# `python3 Models/experiments/transfer_tables.py OUT_DIR` then prints the document's tables.
set -euo pipefail
out="${1:?usage: transfer.sh OUT_DIR [SEEDS] [SPECS...]}"
seeds="${2:-0 1 2}"
here="$(cd "$(dirname "$0")" && pwd)"
shift $(( $# >= 2 ? 2 : 1 ))
specs=("${@:-$here/transfer-eps16.json $here/transfer-eps8.json $here/transfer-eps01.json}")
feint="${FEINT:-$here/../../.build/release/feint}"
data=(); if [[ -n "${DATA:-}" ]]; then data=(--data "$DATA"); fi   # CIFAR-10 specs: DATA=DIR
for seed in $seeds; do
    for spec in ${specs[*]}; do
        name="$(basename "$spec" .json)"
        dir="$out/$name/seed-$seed"
        for k in $(seq 0 9); do
            "$feint" bench run "$spec" --seed "$seed" --shard "$k/10" --out "$dir" --resume ${data[@]+"${data[@]}"}
        done
        "$feint" bench merge "$dir" > /dev/null
    done
done
for spec in ${specs[*]}; do
    name="$(basename "$spec" .json)"
    runs=()
    for dir in "$out/$name"/seed-*; do
        if [[ -f "$dir/results.json" ]]; then runs+=("$dir"); fi
    done
    if (( ${#runs[@]} == 0 )); then echo "$out/$name: no finished seed"; continue; fi
    "$feint" bench summarize "${runs[@]}" --out "$out/$name" --reference namea --force > /dev/null
    if grep -q '"di-namea"' "$spec"; then
        "$feint" bench summarize "${runs[@]}" --out "$out/$name-di" --reference di-namea --force > /dev/null
    fi
    echo "$out/$name: ${#runs[@]} seeds summarised"
done
