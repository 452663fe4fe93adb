#!/usr/bin/env bash
# Black-box acceptance experiment (issue #5) on Fashion-MNIST: SimBA-ODS vs SimBA (pixel) vs
# SimBA-DCT at a 10 000-query budget on $N (default 500) test images each target classifies
# correctly, and Boundary-ODS vs Boundary (median L2 after 1 000 / 5 000 / 10 000 queries) on the
# first $BOUNDARY_N (default 100, at most $N) of them, untargeted, seed 0. (Boundary spends all
# 10 000 queries on every image, Boundary-ODS a surrogate gradient per step besides: 100 images
# took 6–20 (Boundary) and 21–35 (Boundary-ODS) core-minutes per target on Fashion-MNIST.)
#
#   Models/experiments/blackbox.sh OUT_DIR [TARGET...]
#
# Rerunning it resumes: complete results are kept, interrupted ones continue from their
# checkpoint (OUT_DIR/<target>-<attack>.json.partial, written after every batch).
# ATTACKS (default "simba simba-dct simba-ods boundary boundary-ods") picks the attacks to run.
#
# Targets: fmnist-vgg (CNN), fmnist-vit-p7 (transformer), fmnist-smallcnn-at (adversarially
# trained). Surrogates for every target, none sharing the target's weights or CNN architecture:
# fmnist-lenet5, fmnist-resnet8 (CNNs) and fmnist-vit-p4 (a smaller-patch ViT).
set -euo pipefail
out="${1:?usage: blackbox.sh OUT_DIR [TARGET...]}"; shift
targets=("${@:-fmnist-vgg fmnist-vit-p7 fmnist-smallcnn-at}")
feint="${FEINT:-$(dirname "$0")/../../.build/release/feint}"
# SURROGATES and DATA (see whitebox.sh) override the Fashion-MNIST defaults for other zoos.
surrogates="${SURROGATES:-fmnist-lenet5,fmnist-resnet8,fmnist-vit-p4}"
data=(); if [[ -n "${DATA:-}" ]]; then data=(--data "$DATA"); fi
boundary_n="${BOUNDARY_N:-100}"; (( boundary_n <= ${N:-500} )) || boundary_n="${N:-500}"
mkdir -p "$out"
for t in ${targets[*]}; do
    for a in ${ATTACKS:-simba simba-dct simba-ods boundary boundary-ods}; do
        [[ "$a" == simba* ]] || continue
        extra=(); [[ "$a" == *-ods ]] && extra=(--surrogates "$surrogates")
        "$feint" blackbox --target "$t" --attack "$a" "${extra[@]}" --budget 10000 --n "${N:-500}" --only-correct --seed 0 \
            "${data[@]}" --output "$out/$t-$a.json" --resume
    done
    for a in ${ATTACKS:-simba simba-dct simba-ods boundary boundary-ods}; do
        [[ "$a" == boundary* ]] || continue
        extra=(); [[ "$a" == *-ods ]] && extra=(--surrogates "$surrogates")
        "$feint" blackbox --target "$t" --attack "$a" "${extra[@]}" --budget 10000 --n "$boundary_n" --only-correct \
            --seed 0 --batch 50 "${data[@]}" --output "$out/$t-$a.json" --resume
    done
done
