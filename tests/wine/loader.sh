#!/usr/bin/env bash
# Prints the Wine loader: `wine` on the PATH, else Debian's wine64. Fails with the fix.
for candidate in "$(command -v wine || true)" /usr/lib/wine/wine64 /usr/bin/wine64; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done
echo "Wine is missing: run 'apt-get install -y wine64' (tests/setup.sh does)" >&2
exit 1
