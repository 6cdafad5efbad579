#!/usr/bin/env bash
# Prepares what the tests need, and is fast when it is all there: the wasm32-wasip2
# target, the adapter components, the ehr-host and ehr-sandbox binaries, WireMock for the
# HTTP-level fault tests, PostgreSQL and MariaDB server binaries, and the iridium_server
# SQL Server emulator for officemate.
#
# `tests/setup.sh --demo` prepares only what the demo uses: the wasm32-wasip2 target,
# the revolution component, and the ehr-host and ehr-sandbox binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
demo=false
[ "${1:-}" = "--demo" ] && demo=true

if [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-wasip2/lib" ]; then
  echo "setup: installing the wasm32-wasip2 target" >&2
  if ! (command -v rustup >/dev/null && timeout 300 rustup target add wasm32-wasip2 >&2); then
    bundled="$root/../shared/toolchain/ensure-wasm32-wasip2.sh"
    if [ -f "$bundled" ]; then
      bash "$bundled"
    else
      echo "setup: cannot install wasm32-wasip2: run 'rustup target add wasm32-wasip2' with network access" >&2
      exit 1
    fi
  fi
fi

if $demo; then
  echo "setup: building the revolution component (wasm32-wasip2), ehr-host and ehr-sandbox" >&2
  cargo build --quiet --release --target wasm32-wasip2 -p revolution
  cargo build --quiet -p ehr-host -p ehr-sandbox
  exit 0
fi

# The PostgreSQL job-store tests start their own server: they need its binaries.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "setup: installing PostgreSQL server binaries" >&2
  if [ "$(id -u)" = 0 ]; then
    (apt-get install -y postgresql >&2 || (apt-get update >&2 && apt-get install -y postgresql >&2)) \
      || { echo "setup: cannot install PostgreSQL: run 'apt-get install -y postgresql'" >&2; exit 1; }
  else
    echo "setup: PostgreSQL server binaries are missing: run 'sudo apt-get install -y postgresql'" >&2
    exit 1
  fi
fi

echo "setup: building adapter components (wasm32-wasip2)" >&2
cargo build --quiet --release --target wasm32-wasip2 -p revolution -p eyefinity -p crystalpm -p officemate -p misbehaving -p hostile
# A second version of the misbehaving adapter (describe reports 0.2.0) for the registry and
# hot-reload tests; its own target dir so the default 0.1.0 build stays as it is.
echo "setup: building misbehaving 0.2.0" >&2
MISBEHAVING_VERSION=0.2.0 cargo build --quiet --release --target wasm32-wasip2 -p misbehaving \
  --target-dir "$target/alt"
cp -p "$target/alt/wasm32-wasip2/release/misbehaving.wasm" \
  "$target/wasm32-wasip2/release/misbehaving-0.2.0.wasm"
echo "setup: building ehr-host and ehr-sandbox" >&2
cargo build --quiet -p ehr-host -p ehr-sandbox

# WireMock (npm package `wiremock`: the standalone jar, run on the machine's Java) for the
# HTTP-level fault tests. Installed into tests/.tools/wiremock, never globally.
wiremock_version=3.13.2
wiremock_dir="$root/tests/.tools/wiremock"
if ! ls "$wiremock_dir"/node_modules/wiremock/build/wiremock-standalone-"$wiremock_version".jar >/dev/null 2>&1; then
  echo "setup: installing WireMock $wiremock_version into tests/.tools/wiremock (npm)" >&2
  if ! command -v npm >/dev/null; then
    echo "setup: npm is missing: install Node.js and npm (apt-get install npm), then rerun tests/setup.sh" >&2
    exit 1
  fi
  mkdir -p "$wiremock_dir"
  if ! (cd "$wiremock_dir" && timeout 300 npm install --prefix "$wiremock_dir" --no-audit --no-fund --loglevel=error "wiremock@$wiremock_version" >&2); then
    echo "setup: cannot install WireMock: run 'npm install --prefix tests/.tools/wiremock wiremock@$wiremock_version' with access to the npm registry" >&2
    exit 1
  fi
fi
if ! command -v java >/dev/null; then
  echo "setup: java is missing (WireMock needs it): apt-get install openjdk-17-jre-headless" >&2
  exit 1
fi

# The crystalpm end-to-end tests start their own MariaDB server (never the system one).
if ! { command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; } \
   || ! command -v mariadb-install-db >/dev/null || ! command -v mariadb >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing MariaDB (server binaries and client) for the crystalpm tests" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >&2
  else
    echo "setup: MariaDB is missing: run 'sudo apt-get install -y mariadb-server mariadb-client'" >&2
    exit 1
  fi
fi

# The officemate end-to-end tests start their own `iridium_server` (crates.io: a SQL Server
# emulator speaking TDS), installed into tests/.tools/iridium, never globally.
iridium_version=0.1.12
iridium_dir="$root/tests/.tools/iridium"
if [ "$(cat "$iridium_dir/VERSION" 2>/dev/null)" != "$iridium_version" ] \
   || [ ! -x "$iridium_dir/bin/iridium-server" ]; then
  echo "setup: installing iridium_server $iridium_version into tests/.tools/iridium (cargo install, a few minutes)" >&2
  if ! cargo install --quiet --locked --force iridium_server --version "$iridium_version" --root "$iridium_dir" >&2; then
    echo "setup: cannot install iridium_server: run 'cargo install --locked iridium_server --version $iridium_version --root tests/.tools/iridium' with access to crates.io" >&2
    exit 1
  fi
  echo "$iridium_version" > "$iridium_dir/VERSION"
fi

# The signals tests parse /metrics with a real exposition parser: Python's
# prometheus_client (its OpenMetrics parser).
if ! python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
  echo "setup: installing the Python prometheus-client (the metrics tests parse with it)" >&2
  if ! python3 -m pip install --quiet prometheus-client >&2; then
    echo "setup: cannot install prometheus-client: run 'python3 -m pip install prometheus-client'" >&2
    exit 1
  fi
fi

# The console's browser tests (tests/tests/console_browser.rs) drive Debian's Chromium
# with playwright-core from npm (tests/browser, pinned by its lockfile; no browser
# download).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Chromium for the console's browser tests" >&2
    (apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2) \
      || { echo "setup: cannot install Chromium: run 'apt-get update && apt-get install -y chromium'" >&2; exit 1; }
  else
    echo "setup: Chromium is missing: run 'sudo apt-get install -y chromium'" >&2
    exit 1
  fi
fi
pw_want=$(grep -A1 '"node_modules/playwright-core"' "$root/tests/browser/package-lock.json" | sed -n 's/.*"version": "\(.*\)".*/\1/p')
pw_have=$(sed -n 's/^  "version": "\(.*\)".*/\1/p' "$root/tests/browser/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ -z "$pw_have" ] || [ "$pw_have" != "$pw_want" ]; then
  echo "setup: installing playwright-core for the console's browser tests (npm ci in tests/browser)" >&2
  if ! (cd "$root/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
    echo "setup: cannot install playwright-core: run 'cd tests/browser && npm ci' with access to the npm registry" >&2
    exit 1
  fi
fi

# The Windows agent (issue 16): cross-built for x86_64-pc-windows-gnu with Debian's
# mingw-w64, smoke-tested under Debian's Wine (tests/tests/windows_wine.rs), and packaged
# with zip (tests/tests/windows_package.rs).
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/x86_64-pc-windows-gnu/lib" ]; then
  echo "setup: installing the x86_64-pc-windows-gnu target" >&2
  if ! (command -v rustup >/dev/null && timeout 300 rustup target add x86_64-pc-windows-gnu >&2); then
    echo "setup: cannot install x86_64-pc-windows-gnu: run 'rustup target add x86_64-pc-windows-gnu' with network access" >&2
    exit 1
  fi
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v zip >/dev/null \
   || ! command -v unzip >/dev/null || ! { command -v wine >/dev/null || [ -x /usr/lib/wine/wine64 ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing mingw-w64, wine64, zip and unzip for the Windows agent" >&2
    win_pkgs="mingw-w64 wine64 zip unzip"
    # shellcheck disable=SC2086
    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $win_pkgs >&2 \
      || (apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $win_pkgs >&2)) \
      || { echo "setup: cannot install them: run 'apt-get install -y mingw-w64 wine64 zip unzip'" >&2; exit 1; }
  else
    echo "setup: mingw-w64, Wine, zip or unzip is missing: run 'sudo apt-get install -y mingw-w64 wine64 zip unzip'" >&2
    exit 1
  fi
fi
echo "setup: cross-building ehr-host for Windows (x86_64-pc-windows-gnu)" >&2
cargo build --quiet -p ehr-host --target x86_64-pc-windows-gnu
# The Wine prefix the Windows tests run in (made once; tests/wine/prefix.sh says why it
# holds one stand-in DLL).
bash tests/wine/prefix.sh >/dev/null
