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
# The Windows code's own unit tests (private files by access list, the service's log
# rotation, the stop request) run as a Windows test binary under Wine.
echo "run: Windows unit tests under Wine" >&2
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$root/tests/wine/run.sh" \
  cargo test --quiet -p ehr-host --lib --target x86_64-pc-windows-gnu -- \
  platform:: fsutil:: config::tests::inline_secrets link::device service::
cargo test --workspace --no-fail-fast "$@"
