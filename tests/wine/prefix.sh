#!/usr/bin/env bash
# Makes the Wine prefix the Windows tests run in: target/wine-prefix (CARGO_TARGET_DIR
# honoured), created once, with one stand-in DLL in its system32. Prints its path.
#
# Why the stand-in: Wine 8.0 (Debian 12) has no bcryptprimitives.dll, whose ProcessPrng
# Rust's standard library calls for randomness since Rust 1.78 (Windows 10 and later
# have it). Without it the binary does not load at all (status c0000135). The stand-in
# forwards to BCryptGenRandom, which Wine has. It lives in the tests' prefix only and is
# never shipped in the release archive.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target="${CARGO_TARGET_DIR:-$root/target}"
prefix="$target/wine-prefix"
dll="$prefix/drive_c/windows/system32/bcryptprimitives.dll"
if [ -f "$dll" ]; then
  echo "$prefix"
  exit 0
fi
wine=$(bash "$root/tests/wine/loader.sh")
if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  echo "wine prefix: x86_64-w64-mingw32-gcc is missing: run 'apt-get install -y mingw-w64' (tests/setup.sh does)" >&2
  exit 1
fi
mkdir -p "$target"
if [ ! -d "$prefix/drive_c/windows/system32" ]; then
  # No prompts to install Mono or Gecko, no window.
  WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY= \
    "$wine" cmd /c exit >/dev/null 2>&1 || true
  [ -d "$prefix/drive_c/windows/system32" ] || {
    echo "wine prefix: Wine did not create $prefix (run: WINEPREFIX=$prefix $wine cmd /c exit)" >&2
    exit 1
  }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/bcryptprimitives.c" <<'C'
#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
C
printf 'LIBRARY bcryptprimitives\nEXPORTS\n    ProcessPrng\n' > "$work/bcryptprimitives.def"
x86_64-w64-mingw32-gcc -shared -O2 -o "$dll.tmp" "$work/bcryptprimitives.c" \
  "$work/bcryptprimitives.def" -lbcrypt
mv "$dll.tmp" "$dll"
echo "$prefix"
