#!/usr/bin/env bash
# Builds the Windows release archive of the agent in one command:
#   bash packaging/windows/build.sh                 # builds the release binary
#   bash packaging/windows/build.sh --exe PATH      # packages a binary built already
#                                                   # (the tests: no cargo inside cargo)
# The zip holds ehr-host.exe (x86_64-pc-windows-gnu), README.txt for practice IT and
# install.cmd (installs the service, pairs the agent, checks it is green). Prints the archive's path.
# Needs the target and mingw-w64: `bash tests/setup.sh` installs both.
set -euo pipefail
exe=""
if [ "${1:-}" = "--exe" ]; then
  exe="${2:?--exe needs the path of ehr-host.exe}"
  [ -f "$exe" ] || { echo "build.sh: $exe does not exist" >&2; exit 1; }
  exe=$(realpath "$exe")
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
triple=x86_64-pc-windows-gnu

if [ -z "$exe" ] && ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  echo "build.sh: mingw-w64 is missing: run 'apt-get install -y mingw-w64' (tests/setup.sh does)" >&2
  exit 1
fi
if ! command -v zip >/dev/null; then
  echo "build.sh: zip is missing: run 'apt-get install -y zip'" >&2
  exit 1
fi

if [ -z "$exe" ]; then
  cargo build --quiet --release -p ehr-host --target "$triple"
  exe="$target/$triple/release/ehr-host.exe"
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' host/Cargo.toml | head -n 1)
name="ehr-host-$version-windows-x86_64"
out="$target/packaging"
stage="$out/$name"
rm -rf "$stage" "$out/$name.zip"
mkdir -p "$stage"
cp "$exe" "$stage/ehr-host.exe"
# Windows line endings, so Notepad and cmd read them as written (cmd misreads labels in LF-only scripts).
sed 's/$/\r/' packaging/windows/README.txt > "$stage/README.txt"
sed 's/$/\r/' packaging/windows/install.cmd > "$stage/install.cmd"
(cd "$out" && zip -q -r -X "$name.zip" "$name")
echo "$out/$name.zip"
