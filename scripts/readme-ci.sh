#!/usr/bin/env bash
# Runs README.md's ```bash blocks verbatim, in order, in one bash session (set -euo pipefail),
# against a freshly started server: on the embedded store, then on PostgreSQL when DATABASE_URL is
# set. A block right after a `<!-- ci: skip (why) -->` line is not run (it starts a server, needs
# Docker, Kafka or your CI's secrets). Afterwards the read models must rebuild identically.
# Replaces scripts/smoke.sh. Usage: bash scripts/readme-ci.sh [README.md]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
README=${1:-README.md}
NODE=node_modules/.bin/node
[ -f dist/apps/registry-api/src/main.js ] || npm run build --silent

# 1. The blocks, each announced by its line number, into one script.
script=$(mktemp)
awk -v readme="$README" '
  /<!-- ci: skip/ { skip = 1; next }
  /^```bash[[:space:]]*$/ { inblock = 1; start = NR; if (skip) { skipped++; print "# (skipped block at " readme ":" NR ")" } else { ran++; print "echo; echo \"== " readme ":" NR "\"" }; next }
  /^```/ && inblock { inblock = 0; skip = 0; next }
  inblock && !skip { print; next }
  !inblock && NF && !/^<!--/ { skip = 0 }
  END { printf "echo \"README: %d blocks run, %d skipped\"\n", ran, skipped }
' "$README" > "$script.body"
{ echo 'set -euo pipefail'; cat "$script.body"; } > "$script"
rm -f "$script.body"

run_readme() {
  local label=$1; shift
  local dir port pid
  dir=$(mktemp -d)
  port=$((20000 + RANDOM % 20000))
  # Started as the README says (POLICY_FILE=… APPROVERS_FILE=… npm start), on a free port and data dir.
  env DATA_DIR="$dir" PORT="$port" HOST=127.0.0.1 POLICY_FILE=deploy/policy.default.yaml APPROVERS_FILE=deploy/approvers.example.yaml "$@" $NODE dist/apps/registry-api/src/main.js >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
  grep -q 'policy in force: policy@' "$dir/server.log" || { echo "start-up did not log the policy in force"; cat "$dir/server.log"; exit 1; }
  grep -q 'relay: ' "$dir/server.log" || { echo "start-up did not log the relay state"; exit 1; }
  echo "== README on $label (server on port $port, DATA_DIR=$dir)"
  local work
  work=$(mktemp -d)
  if ! (cd "$ROOT" && env DATA_DIR="$dir" MODEL_LEDGER_URL="http://127.0.0.1:$port" "$@" bash "$script"); then
    echo "README ($label) failed; server log:"; tail -50 "$dir/server.log"; kill $pid; exit 1
  fi
  # The read models the README built rebuild identically from the events (the tool reads the same configuration).
  env DATA_DIR="$dir" "$@" $NODE dist/apps/registry-api/src/cli/rebuild.js | tee "$work/rebuild.txt"
  grep -q "^store: .*DATA_DIR=$dir" "$work/rebuild.txt" || { echo "rebuild did not say which store it used"; exit 1; }
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir" "$work"
  echo "README ($label): ok"
}

# Newcomer checks that are not README examples: --help never runs the tool.
$NODE dist/apps/registry-api/src/cli/rebuild.js --help | grep -q '^usage: npm run rebuild-read-models'
$NODE dist/apps/registry-api/src/cli/audit.js --help | grep -q '^usage:'

run_readme sqlite EVENT_STORE=sqlite
if [ -n "${DATABASE_URL:-}" ]; then
  # A fresh schema, so tables left by earlier runs on this database play no part.
  schema="readme_$$_$RANDOM"
  psql "$DATABASE_URL" -qc "CREATE SCHEMA $schema"
  run_readme postgres EVENT_STORE=postgres DATABASE_URL="${DATABASE_URL}?options=-c%20search_path%3D${schema}"
  psql "$DATABASE_URL" -qc "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
fi
rm -f "$script"
