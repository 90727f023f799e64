#!/usr/bin/env bash
# Runs Schemathesis (pinned, from PyPI, in its own virtualenv under the project's cache,
# ~/.cache/model-ledger/venvs, outside the repository; override with ST_VENV) with
# `--checks all` against a freshly started server's /docs-json, with a token for each role.
#   scripts/schemathesis.sh            install if missing, start a server, run, stop it
#   ST_MAX_EXAMPLES=20 scripts/schemathesis.sh
# Needs `npm run build` first (CI runs it). Exit status is Schemathesis's. Schemathesis keeps its
# own state in .schemathesis/ (git-ignored); reports go to test/artifacts/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."
ST_VERSION=4.32.5
VENV=${ST_VENV:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/model-ledger/venvs/schemathesis-$ST_VERSION}
NODE=node_modules/.bin/node

if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "[schemathesis] installing schemathesis==$ST_VERSION into $VENV" >&2
  SUDO=(); [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=(sudo)
  if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian ships venv/ensurepip separately from python3.
    "${SUDO[@]}" apt-get update -q >&2 && "${SUDO[@]}" apt-get install -y -q --no-install-recommends python3 python3-venv >&2
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
env DATA_DIR="$dir" PORT="$port" HOST=127.0.0.1 EVENT_STORE=sqlite LOG_LEVEL=warn NODE_ENV=test $NODE dist/apps/registry-api/src/main.js >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$base/health/ready" >/dev/null || { cat "$dir/server.log"; exit 1; }

token() { env DATA_DIR="$dir" NODE_ENV=test $NODE apps/cli/bin/model-ledger.ts token --sub "$1" --scope "$2" --ttl 2h; }
export ST_TOKEN_READ ST_TOKEN_WRITE ST_TOKEN_GATES ST_TOKEN_APPROVALS ST_TOKEN_PROMOTE ST_TOKEN_AUDIT
ST_TOKEN_READ=$(token st-reader "registry:read")
ST_TOKEN_WRITE=$(token st-writer "registry:read registry:write")
ST_TOKEN_GATES=$(token st-ci "registry:read gates:write")
ST_TOKEN_APPROVALS=$(token st-approver "registry:read approvals:write")
ST_TOKEN_PROMOTE=$(token st-releaser "registry:read registry:write registry:promote")
ST_TOKEN_AUDIT=$(token st-auditor "audit:read")

# Something to find: a model with a version, so reads and writes reach real resources too.
auth=(-H "Authorization: Bearer $ST_TOKEN_PROMOTE" -H 'Content-Type: application/json')
curl -sf -X POST "$base/v1/models" "${auth[@]}" -d '{"name":"churn"}' >/dev/null
curl -sf -X POST "$base/v1/models/churn/versions" "${auth[@]}" \
  -d '{"version":"1.0.0","artifact":{"uri":"s3://m/1.0.0/model.onnx","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","format":"onnx"}}' >/dev/null

# `st`, with its ASGI transport (and so anyio) imported once in the main thread first: anyio's lazy
# importer calls compile(), which is not thread-safe on CPython 3.11 ("AST constructor recursion
# depth mismatch" when two workers import it at once). Hypothesis parses lambdas' source with
# ast.parse while it builds strategies, which hits the same bug when two workers do it at once
# (seen in CI on GET /v1/audit/export), so the run uses one worker (ST_WORKERS to change it).
st=("$VENV/bin/python" -c 'import sys; import schemathesis.transport.asgi; from schemathesis.cli import schemathesis; sys.argv[0] = "st"; sys.exit(schemathesis())')
# Schemathesis closes with a pytest-style banner ("=== 2 warnings in 173.15s ===") that log readers
# take for a pytest run that executed nothing; the banners are reworded, the counts are in the JUnit
# report (CI's summary line reads it).
set +e
"${st[@]}" --config-file .ci/schemathesis.toml run "$base/docs-json" \
  --checks all \
  --max-examples "${ST_MAX_EXAMPLES:-15}" \
  --phases "${ST_PHASES:-examples,coverage,fuzzing,stateful}" \
  --seed "${ST_SEED:-20261129}" \
  --workers "${ST_WORKERS:-1}" \
  --request-timeout 10 \
  --generation-database none \
  --report junit --report-dir "${ST_REPORT_DIR:-test/artifacts/schemathesis}" \
  --no-color "$@" 2>&1 | sed -u -E 's/^=+ (.*[^ =]) =+$/-- \1 --/; s/ in ([0-9.]+)s( --)?$/ (\1 s)\2/'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "[schemathesis] server log (last 40 lines):" >&2
  tail -40 "$dir/server.log" >&2
fi
exit "$status"
