#!/usr/bin/env bash
# The demo: a publisher signs the revolution adapter, a practice host trusts the key,
# installs it, checks the EHR and writes an encounter into the RevolutionEHR sandbox,
# printing the per-field report. Everything runs on loopback in a throw-away home.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash tests/setup.sh --demo
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/debug"
work=$(mktemp -d)
export EHR_HOST_HOME="$work/home"
sandbox_out="$work/sandbox.out"
"$bin/ehr-sandbox" --port 0 > "$sandbox_out" 2> "$work/sandbox.log" &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q listening "$sandbox_out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$sandbox_out")
[ -n "$url" ] || { echo "demo: the sandbox did not start" >&2; exit 1; }

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
echo "RevolutionEHR sandbox at $url; host home $EHR_HOST_HOME"
step "$bin/ehr-host" keygen "$work/publisher"
step "$bin/ehr-host" sign "$target/wasm32-wasip2/release/revolution.wasm" --key "$work/publisher.key" -o "$work/revolution.ehrpkg"
step "$bin/ehr-host" trust add "$work/publisher.pub" --name "Demo Publisher"
mkdir -p "$EHR_HOST_HOME"
cat > "$EHR_HOST_HOME/config.toml" <<TOML
[adapters.revolution]
http = ["$url"]

[adapters.revolution.settings]
base_url = "$url"

[[adapters.revolution.credentials]]
origin = "$url"
kind = "oauth2"
token_url = "$url/oauth/token"
client_id = "ehr-host"
client_secret = "sandbox-secret"
TOML
step "$bin/ehr-host" install "$work/revolution.ehrpkg"
step "$bin/ehr-host" list
step "$bin/ehr-host" check revolution
step "$bin/ehr-host" write revolution tests/fixtures/snapshot-e5001.json
echo
echo "Tampering with one byte of the package:"
python3 - "$work/revolution.ehrpkg" <<'PY'
import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p+'.bad','wb').write(b)
PY
step "$bin/ehr-host" install "$work/revolution.ehrpkg.bad" || echo "(refused, exit $?)"
