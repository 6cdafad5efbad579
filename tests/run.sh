#!/usr/bin/env bash
# The whole test suite: unit tests beside the code, SDK and adapter tests (native, with
# the SDK harness), and the end-to-end tests that drive the built components through the
# host against real peers on loopback. Formatting and clippy (warnings denied) are
# checked first, so CI holds the code to them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash tests/setup.sh
echo "run: cargo fmt --check" >&2
cargo fmt --all --check
echo "run: cargo clippy -D warnings" >&2
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet -p ehr-host --all-targets --target x86_64-pc-windows-gnu -- -D warnings
cargo test --workspace --no-fail-fast "$@"
