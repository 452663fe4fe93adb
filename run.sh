#!/usr/bin/env bash
# Feint's build entry point. The README's two commands:
#
#   ./run.sh          build in release mode and run the main job (`feint demo`)
#   ./run.sh test     build and run the test suite
#
# Both first install any missing system libraries with apt (sudo when not root) and say which.
# Further arguments after `./run.sh` are passed to the main job, e.g. `./run.sh perf --json`.
#
#   ./run.sh fuzz [SECONDS]
#       fuzzes the safetensors, IDX and image parsers with libFuzzer (default 600 s), in
#       .build-fuzz/ (corpus in .build-fuzz/corpus, crash reproducers in .build-fuzz/crashes).
#
#   ./run.sh compare-torch PYTHON [THREADS] [ROUNDS]
#       runs `feint perf` and ../shared/bench/torch_reference.py (or $TORCH_REFERENCE)
#       alternately, ROUNDS times each (default 3) with THREADS threads (default 2), and prints
#       the median images/s of both and their ratio. PYTHON is an interpreter with torch installed
#       (e.g. a scratch venv: python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch).
set -euo pipefail
cd "$(dirname "$0")"

install_system_packages() {
    if [[ "$(uname)" == "Darwin" ]]; then return 0; fi   # Accelerate, libpng, libjpeg via the SDK
    local wanted=(libopenblas-dev libpng-dev libjpeg-dev zlib1g-dev pkg-config) missing=()
    if ! command -v dpkg-query >/dev/null; then
        echo "run.sh: not a Debian-like system; make sure these are installed: ${wanted[*]}" >&2
        return 0
    fi
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        # As root directly; otherwise through sudo when it works without a password (or can ask
        # one on a terminal); else say what to install instead of failing on a missing sudo.
        local sudo=()
        if [[ "$(id -u)" == 0 ]]; then sudo=()
        elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n)
        elif command -v sudo >/dev/null && [[ -t 0 ]]; then sudo=(sudo)
        else
            echo "run.sh: missing system packages: ${missing[*]}; install them as root:" >&2
            echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
        echo "run.sh: installing missing system packages: ${missing[*]}" >&2
        "${sudo[@]}" apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

install_system_packages
compare_torch() {
    local python="${1:?usage: ./run.sh compare-torch PYTHON [THREADS] [ROUNDS]}" threads="${2:-2}" rounds="${3:-3}"
    local reference="${TORCH_REFERENCE:-../shared/bench/torch_reference.py}"
    [[ -f "$reference" ]] || { echo "run.sh: torch reference not found at $reference (set TORCH_REFERENCE)" >&2; exit 2; }
    swift build -c release --product feint >&2
    local out
    out="$(mktemp -d)"
    for round in $(seq "$rounds"); do
        echo "round $round/$rounds: torch" >&2
        "$python" "$reference" "$threads" > "$out/torch-$round.txt"
        echo "round $round/$rounds: feint" >&2
        .build/release/feint perf --threads "$threads" --steps attack,train --json > "$out/feint-$round.json"
    done
    "$python" - "$out" <<'PY'
import glob, json, re, statistics, sys
out = sys.argv[1]
torch, feint, core = {}, {}, set()
for path in glob.glob(f"{out}/torch-*.txt"):
    for line in open(path):
        m = re.match(r"torch (\S+) threads=(\d+) (\S+) batch=(\d+): (\d+) img/s \((attack|training)", line)
        if m:
            name = "vit" if m[3].startswith("vit") else m[3]
            torch.setdefault((name, "train" if m[6] == "training" else "attack", int(m[4])), []).append(float(m[5]))
for path in glob.glob(f"{out}/feint-*.json"):
    report = json.load(open(path))
    core.add(report["blasCore"])
    for s in report["steps"]:
        feint.setdefault((s["model"], s["kind"], s["batch"]), []).append(s["imagesPerSecond"])
print(f"BLAS kernel: {', '.join(sorted(core))}")
print("| model | step | batch | Feint img/s | PyTorch img/s | Feint / PyTorch |")
print("|---|---|---|---:|---:|---:|")
for key in sorted(feint):
    if key in torch:
        f, t = statistics.median(feint[key]), statistics.median(torch[key])
        print(f"| {key[0]} | {key[1]} | {key[2]} | {f:.0f} | {t:.0f} | {f / t:.2f} |")
PY
}

fuzz() {
    local seconds="${1:-600}"
    swift build -c release --product feint-fuzz --scratch-path .build-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING >&2
    mkdir -p .build-fuzz/corpus .build-fuzz/crashes
    # Seeds (first byte selects the parser): a small safetensors file, the bundled IDX labels
    # (gzip'd), and the test fixture JPEG.
    local header='{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}'
    { printf '\x00'; printf "\\x$(printf %02x ${#header})"; printf '\x00\x00\x00\x00\x00\x00\x00'
      printf '%s' "$header"; printf '\x00\x00\x80\x3f\x00\x00\x00\x40'; } > .build-fuzz/corpus/seed-safetensors
    { printf '\x01'; cat datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz; } > .build-fuzz/corpus/seed-idx
    { printf '\x02'; cat Tests/FeintModelsTests/Fixtures/rgb.jpg; } > .build-fuzz/corpus/seed-jpeg
    ./.build-fuzz/release/feint-fuzz -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
        -artifact_prefix=.build-fuzz/crashes/ .build-fuzz/corpus
}

case "${1:-}" in
    fuzz)
        shift
        fuzz "$@"
        ;;
    compare-torch)
        shift
        compare_torch "$@"
        ;;
    test)
        shift
        # Release mode: the numeric kernels are what is tested, and the zoo checks evaluate every
        # model on 10 000 images (preconditions stay on: -O, not -Ounchecked).
        swift build -c release --build-tests
        swift test -c release --skip-build "$@"
        ;;
    *)
        swift build -c release --product feint
        if (($#)); then exec .build/release/feint "$@"; fi
        # The main job: NAMEA and its baselines on the bundled data and zoo (./feint-demo/).
        exec .build/release/feint demo
        ;;
esac
