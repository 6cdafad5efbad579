#!/usr/bin/env bash
# Runs a Windows program under Wine in the tests' prefix (tests/wine/prefix.sh): cargo's
# runner for x86_64-pc-windows-gnu test binaries (tests/run.sh sets
# CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER to this script).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=$(bash "$here/prefix.sh")
wine=$(bash "$here/loader.sh")
export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY
exec "$wine" "$@"
