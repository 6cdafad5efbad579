#!/usr/bin/env bash
# The whole test suite: unit tests beside the code, SDK and adapter tests (native, with
# the SDK harness), and the end-to-end tests that drive the built components through the
# host against real peers on loopback.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash tests/setup.sh
cargo test --workspace "$@"
