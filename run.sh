#!/usr/bin/env bash
# Feint's build entry point. The README's two commands:
#
#   ./run.sh          build in release mode and run the main job
#   ./run.sh test     build and run the test suite
#
# Both first install any missing system libraries with apt (sudo when not root) and say which.
# Further arguments after `./run.sh` are passed to the main job, e.g. `./run.sh perf --json`.
set -euo pipefail
cd "$(dirname "$0")"

install_system_packages() {
    if [[ "$(uname)" == "Darwin" ]]; then return 0; fi   # Accelerate, libpng, libjpeg via the SDK
    local wanted=(libopenblas-dev libpng-dev libjpeg-dev zlib1g-dev) missing=()
    if ! command -v dpkg-query >/dev/null; then
        echo "run.sh: not a Debian-like system; make sure these are installed: ${wanted[*]}" >&2
        return 0
    fi
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "run.sh: installing missing system packages: ${missing[*]}" >&2
        local sudo=""
        if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

install_system_packages
case "${1:-}" in
    test)
        shift
        swift build --build-tests
        swift test --skip-build "$@"
        ;;
    *)
        swift build -c release --product feint
        if (($#)); then exec .build/release/feint "$@"; fi
        # The main job. Until the demo lands (issue 7) it is the engine benchmark.
        exec .build/release/feint perf
        ;;
esac
