#!/usr/bin/env bash
# The README walkthrough, run as written against a freshly started server on the embedded
# store (and on PostgreSQL when DATABASE_URL is set), then a read-model rebuild check.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE=node_modules/.bin/node

run_walkthrough() {
  local label=$1; shift
  local dir port pid
  dir=$(mktemp -d)
  port=$((20000 + RANDOM % 20000))
  env DATA_DIR="$dir" PORT="$port" HOST=127.0.0.1 "$@" $NODE dist/apps/registry-api/src/main.js >"$dir/server.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
  local token
  token=$(env DATA_DIR="$dir" "$@" $NODE dist/apps/registry-api/src/cli/token.js --sub alice --scope "registry:read registry:write gates:write registry:promote")
  local approver
  approver=$(env DATA_DIR="$dir" "$@" $NODE dist/apps/registry-api/src/cli/token.js --sub bob --scope "registry:read approvals:write")
  local base="http://127.0.0.1:$port" model="smoke-$RANDOM"
  curl -sf -X POST "$base/v1/models" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "{\"name\":\"$model\"}" >/dev/null
  curl -sf -X POST "$base/v1/models/$model/versions" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"version":"1.0.0","artifact":{"uri":"s3://m/1.0.0/model.onnx","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","format":"onnx"}}' >/dev/null
  curl -sf -X POST "$base/v1/models/$model/versions/1.0.0/approvals" -H "Authorization: Bearer $approver" -H 'Content-Type: application/json' -d '{"decision":"approve"}' >/dev/null
  curl -sf -X POST "$base/v1/models/$model/versions/1.0.0/transitions" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"stage":"Production"}' >/dev/null
  local resolved
  resolved=$(curl -sf "$base/v1/resolve?uri=models:/$model@prod" -H "Authorization: Bearer $token")
  echo "$resolved" | grep -q '"version":"1.0.0"' || { echo "walkthrough ($label): resolve returned $resolved"; cat "$dir/server.log"; exit 1; }
  env DATA_DIR="$dir" "$@" $NODE dist/apps/registry-api/src/cli/rebuild.js
  echo "walkthrough ($label): ok"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
}

run_walkthrough sqlite EVENT_STORE=sqlite
if [ -n "${DATABASE_URL:-}" ]; then
  # A fresh schema, so tables left by earlier runs on this database play no part.
  schema="smoke_$$_$RANDOM"
  psql "$DATABASE_URL" -qc "CREATE SCHEMA $schema"
  run_walkthrough postgres EVENT_STORE=postgres DATABASE_URL="${DATABASE_URL}?options=-c%20search_path%3D${schema}"
  psql "$DATABASE_URL" -qc "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
fi
