#!/usr/bin/env bash
# Local backing services for model-ledger, without Docker.
#
#   scripts/services.sh up     [postgres] [kafka] [chromium] [mailpit] [mlflow-client] [jaeger] [wrk]   (default: postgres kafka)
#   scripts/services.sh down   [postgres] [kafka] [mailpit] [jaeger]              (default: postgres kafka)
#   scripts/services.sh status [postgres] [kafka] [chromium] [mailpit] [mlflow-client] [jaeger] [wrk]   (exit 1 if any is not up)
#   scripts/services.sh env                                    (print the env lines only)
#   scripts/services.sh kafka-kill    SIGKILL the broker (failure tests)
#   scripts/services.sh kafka-start   start the broker again, keeping its data
#   scripts/services.sh kafka-reset   stop the broker and wipe its data (reformat on next up)
#
# Log lines go to stderr; the KEY=value lines for the tests go to stdout, so
#   eval "$(scripts/services.sh up)"   or   scripts/services.sh env >> .env.test
# both work. See docs/SERVICES.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_TEMPLATE_DIR="$SCRIPT_DIR/kafka"

SERVICES_DIR="${SERVICES_DIR:-${HOME:-/root}/.cache/model-ledger/services}"
PG_PORT="${PG_PORT:-5432}"
PG_USER=ledger
PG_PASSWORD=ledger
PG_DATABASES=(ledger ledger_test)
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-60}"

# Jaeger v2 (OTLP in, HTTP query API out); the binary is built once from the Go module proxy.
JAEGER_VERSION="${JAEGER_VERSION:-v1.76.0}"
JAEGER_CACHE="${JAEGER_CACHE:-${HOME:-/root}/.cache/model-ledger/jaeger}"
JAEGER_BIN="$JAEGER_CACHE/jaeger-$JAEGER_VERSION"
JAEGER_OTLP_HTTP_PORT="${JAEGER_OTLP_HTTP_PORT:-4318}"
JAEGER_OTLP_GRPC_PORT="${JAEGER_OTLP_GRPC_PORT:-4317}"
JAEGER_QUERY_PORT="${JAEGER_QUERY_PORT:-16686}"
JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}"
JAEGER_DIR="$SERVICES_DIR/jaeger"
JAEGER_PIDFILE="$JAEGER_DIR/jaeger.pid"
JAEGER_START_TIMEOUT="${JAEGER_START_TIMEOUT:-60}"

KAFKA_DIR="$SERVICES_DIR/kafka"
# A second broker (own SERVICES_DIR/ports, e.g. a failure test) may reuse the shared jars.
KAFKA_LIBS="${KAFKA_LIBS:-$KAFKA_DIR/libs}"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOGS="$KAFKA_DIR/logs"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_LOG4J="$KAFKA_TEMPLATE_DIR/log4j2.xml"
# Short-lived tool JVMs (StorageTool, TopicCommand): small and quick to start.
TOOL_JAVA_OPTS=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$KAFKA_LOG4J" "-Dkafka.logs.dir=$KAFKA_LOGS/tools")

# Mailpit: SMTP server + HTTP API for the approval-email tests, built from the Go module proxy.
MAILPIT_VERSION="${MAILPIT_VERSION:-v1.33.1}"
MAILPIT_SMTP_PORT="${MAILPIT_SMTP_PORT:-1025}"
MAILPIT_HTTP_PORT="${MAILPIT_HTTP_PORT:-8025}"
TOOLS_BIN="${TOOLS_BIN:-${HOME:-/root}/.cache/model-ledger/bin}"
MAILPIT_BIN="$TOOLS_BIN/mailpit"
MAILPIT_DIR="$SERVICES_DIR/mailpit"

START_TS=$(date +%s)
APT_UPDATED=0

# ---------------------------------------------------------------- helpers
log()  { printf '[services %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[services %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[services %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else warn "not root and no sudo: installs/postgres admin may fail"; fi
fi

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    "${SUDO[@]}" apt-get update -q >&2 9>&- || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$@" >&2 9>&- || die "apt-get install $* failed"
}

# true when something accepts TCP connections on 127.0.0.1:$1
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Wait until pid $1 is gone, up to $2 seconds.
wait_pid_gone() {
  local pid=$1 deadline=$(( $(date +%s) + $2 ))
  while pid_alive "$pid"; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.5
  done
  return 0
}

# Serialize concurrent invocations (parallel test runners calling kafka-start etc.).
# Every command that can leave a daemon behind (apt-get, pg_ctlcluster, java)
# runs with fd 9 closed (`9>&-`), or the daemon would hold the lock forever.
take_lock() {
  mkdir -p "$SERVICES_DIR"
  exec 9>"$SERVICES_DIR/.lock"
  if ! flock -w 300 9; then die "could not lock $SERVICES_DIR/.lock"; fi
}

# ---------------------------------------------------------------- postgres
pg_version() {
  # Highest installed server major version, empty when none is installed.
  local d v=""
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$d" ] || continue
    d=${d#/usr/lib/postgresql/}; d=${d%%/*}
    if [ -z "$v" ] || [ "$d" -gt "$v" ]; then v=$d; fi
  done
  echo "$v"
}

pg_psql() {  # psql as the postgres superuser over the local socket
  "${SUDO[@]}" runuser -u postgres -- psql -p "$PG_PORT" -X -q -v ON_ERROR_STOP=1 -At "$@"
}

pg_cluster_status() {  # prints online/down/"" for cluster $1 main
  pg_lsclusters -h 2>/dev/null | awk -v v="$1" '$1==v && $2=="main" {print $4}'
}

postgres_up() {
  local v
  v=$(pg_version)
  if [ -z "$v" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "PostgreSQL server not installed"
    apt_install postgresql
    v=$(pg_version)
    [ -n "$v" ] || die "postgresql installed but no server binary under /usr/lib/postgresql/*/bin"
  fi
  log "PostgreSQL $v"

  if [ -z "$(pg_cluster_status "$v")" ]; then
    log "creating cluster $v/main on port $PG_PORT"
    "${SUDO[@]}" pg_createcluster "$v" main --port "$PG_PORT" >&2 9>&- || die "pg_createcluster failed"
  fi
  local conf_port
  conf_port=$(pg_conftool -s "$v" main show port 2>/dev/null || echo "")
  if [ "$conf_port" != "$PG_PORT" ]; then
    log "setting cluster $v/main port to $PG_PORT (was ${conf_port:-unset})"
    [ "$(pg_cluster_status "$v")" = online ] && "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" main stop
    "${SUDO[@]}" pg_conftool "$v" main set port "$PG_PORT"
  fi

  if [ "$(pg_cluster_status "$v")" != online ]; then
    log "starting cluster $v/main"
    if ! "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 9>&-; then
      tail -n 30 "/var/log/postgresql/postgresql-$v-main.log" >&2 2>/dev/null || true
      die "PostgreSQL $v/main did not start (log: /var/log/postgresql/postgresql-$v-main.log)"
    fi
  else
    log "cluster $v/main already running"
  fi

  local i
  for i in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
    [ "$i" -eq 30 ] && die "PostgreSQL is not accepting connections on 127.0.0.1:$PG_PORT"
    sleep 1
  done

  # Role + databases (idempotent).
  pg_psql -d postgres >/dev/null <<SQL || die "could not create/update role $PG_USER"
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
  local db
  for db in "${PG_DATABASES[@]}"; do
    if [ "$(pg_psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
      log "creating database $db"
      pg_psql -d postgres -c "CREATE DATABASE $db OWNER $PG_USER" || die "could not create database $db"
    fi
  done

  # Password auth over TCP, exactly as the app will connect.
  for db in "${PG_DATABASES[@]}"; do
    PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$db" \
      -c 'SELECT 1' >/dev/null 2>&1 \
      || die "cannot log in as $PG_USER to $db over TCP 127.0.0.1:$PG_PORT (check pg_hba.conf)"
  done
  log "PostgreSQL ready: $PG_USER@127.0.0.1:$PG_PORT, databases: ${PG_DATABASES[*]}"
}

postgres_down() {
  local v
  v=$(pg_version)
  if [ -z "$v" ]; then log "PostgreSQL not installed"; return 0; fi
  if [ "$(pg_cluster_status "$v")" = online ]; then
    log "stopping PostgreSQL $v/main"
    "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" main stop >&2 || die "could not stop PostgreSQL"
  else
    log "PostgreSQL $v/main not running"
  fi
}

postgres_status() {
  local v st
  v=$(pg_version)
  if [ -z "$v" ]; then echo "postgres: not installed"; return 1; fi
  st=$(pg_cluster_status "$v")
  if [ "$st" = online ] && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    echo "postgres: running (PostgreSQL $v/main, 127.0.0.1:$PG_PORT)"
  else
    echo "postgres: stopped (PostgreSQL $v/main: ${st:-no cluster})"; return 1
  fi
}

# ---------------------------------------------------------------- kafka
ensure_java_maven() {
  local pkgs=()
  command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
  command -v mvn  >/dev/null 2>&1 || pkgs+=(maven)
  if [ "${#pkgs[@]}" -gt 0 ]; then apt_install "${pkgs[@]}"; fi
}

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_TEMPLATE_DIR/pom.xml"; }

kafka_libs() {
  local stamp want
  want=$(sha256sum "$KAFKA_TEMPLATE_DIR/pom.xml" | cut -d' ' -f1)
  stamp="$KAFKA_LIBS/.pom.sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  ensure_java_maven
  log "resolving Kafka $(kafka_version) jars with Maven into $KAFKA_LIBS (cached in ~/.m2)"
  rm -rf "$KAFKA_LIBS.tmp"
  mkdir -p "$KAFKA_DIR"
  if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_TEMPLATE_DIR/pom.xml" \
        dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS.tmp" >"$KAFKA_DIR/mvn.log" 2>&1; then
    tail -n 40 "$KAFKA_DIR/mvn.log" >&2 || true
    rm -rf "$KAFKA_LIBS.tmp"
    die "mvn dependency:copy-dependencies failed for scripts/kafka/pom.xml (full log: $KAFKA_DIR/mvn.log)"
  fi
  echo "$want" > "$KAFKA_LIBS.tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  log "Kafka jars: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) files"
}

kafka_java() { java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" "$@"; }

kafka_render_props() {
  mkdir -p "$KAFKA_DATA" "$KAFKA_LOGS"
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
      -e "s#@KAFKA_CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@KAFKA_DATA_DIR@#$KAFKA_DATA#g" \
      "$KAFKA_TEMPLATE_DIR/server.properties.template" > "$KAFKA_PROPS.tmp"
  mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

KAFKA_FORMATTED=0
kafka_format_if_needed() {
  if [ -f "$KAFKA_DATA/meta.properties" ]; then return 0; fi
  local id
  KAFKA_FORMATTED=1
  rm -rf "$KAFKA_DATA"; mkdir -p "$KAFKA_DATA"
  id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOGS/tools.err" | tail -n 1)
  [ -n "$id" ] || die "StorageTool random-uuid failed (see $KAFKA_LOGS/tools.err)"
  echo "$id" > "$KAFKA_DIR/cluster-id"
  log "formatting KRaft storage in $KAFKA_DATA (cluster id $id)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" --standalone >&2 \
    || die "StorageTool format failed"
}

# Pid of the broker started by this script, if it is alive.
kafka_pid() {
  local pid
  [ -f "$KAFKA_PIDFILE" ] || return 1
  pid=$(cat "$KAFKA_PIDFILE" 2>/dev/null || true)
  if pid_alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
    echo "$pid"; return 0
  fi
  return 1
}

# A real API round trip: list topics via the admin client.
kafka_api_ok() {
  port_open "$KAFKA_PORT" || return 1
  mkdir -p "$KAFKA_LOGS"
  [ -f "$KAFKA_DIR/admin.properties" ] || \
    printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n' > "$KAFKA_DIR/admin.properties"
  timeout 30 java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list \
    --command-config "$KAFKA_DIR/admin.properties" \
    >/dev/null 2>>"$KAFKA_LOGS/tools.err"
}

# Warm the broker up so the first test client does not spend time on (and log)
# retriable COORDINATOR_LOAD_IN_PROGRESS errors. Best effort, output discarded.
#  - after every start: an idempotent producer makes the broker fetch its first
#    producer-id block from the controller (kafkajs otherwise logs an ERROR for
#    InitProducerId and retries);
#  - after a fresh format: a group / transactional-id lookup creates
#    __consumer_offsets and __transaction_state.
kafka_warm_up() {
  local bs="127.0.0.1:$KAFKA_PORT"
  timeout 30 java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.ConsoleProducer \
    --bootstrap-server "$bs" --topic services-sh-warmup \
    --producer-property enable.idempotence=true --producer-property acks=all \
    </dev/null >/dev/null 2>&1 || true
  [ "$KAFKA_FORMATTED" -eq 1 ] || return 0
  timeout 30 java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$bs" --describe --group services-sh-warmup >/dev/null 2>&1 || true
  timeout 30 java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TransactionsCommand \
    --bootstrap-server "$bs" describe --transactional-id services-sh-warmup >/dev/null 2>&1 || true
}

kafka_start() {
  local pid started=0
  kafka_libs
  mkdir -p "$KAFKA_DIR" "$KAFKA_LOGS"
  if pid=$(kafka_pid); then
    log "Kafka already running (pid $pid)"
  elif port_open "$KAFKA_PORT"; then
    if kafka_api_ok; then
      warn "a Kafka broker not started by this script already answers on 127.0.0.1:$KAFKA_PORT; using it"
      return 0
    fi
    die "port $KAFKA_PORT is in use by something that is not a working Kafka broker"
  else
    kafka_render_props
    kafka_format_if_needed
    log "starting Kafka $(kafka_version) (KRaft broker+controller, heap: $KAFKA_HEAP_OPTS), logs in $KAFKA_LOGS"
    echo "===== $(date -Is) start" >> "$KAFKA_LOGS/kafka.out"
    # setsid: own session, so the broker outlives this shell / its job group.
    # All fds redirected (and the lock fd 9 closed) so callers' pipes don't hang.
    # shellcheck disable=SC2086
    setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true \
      "-Dlog4j2.configurationFile=$KAFKA_LOG4J" "-Dkafka.logs.dir=$KAFKA_LOGS" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" \
      </dev/null >>"$KAFKA_LOGS/kafka.out" 2>&1 9>&- &
    pid=$!
    started=1
    echo "$pid" > "$KAFKA_PIDFILE"
  fi

  log "waiting for Kafka on 127.0.0.1:$KAFKA_PORT (up to ${KAFKA_START_TIMEOUT}s)"
  local deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
  while :; do
    if ! pid_alive "$pid"; then
      tail -n 40 "$KAFKA_LOGS/kafka.out" >&2 || true
      rm -f "$KAFKA_PIDFILE"
      die "Kafka exited during startup (see $KAFKA_LOGS/kafka.out and server.log)"
    fi
    if kafka_api_ok; then break; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$KAFKA_LOGS/server.log" >&2 || true
      die "Kafka did not answer on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s (pid $pid still running; see $KAFKA_LOGS)"
    fi
    sleep 1
  done
  if [ "$started" -eq 1 ]; then kafka_warm_up; fi
  log "Kafka ready on 127.0.0.1:$KAFKA_PORT (pid $pid)"
}

kafka_stop() {  # $1 = TERM or KILL
  local sig=${1:-TERM} pid
  if ! pid=$(kafka_pid); then
    rm -f "$KAFKA_PIDFILE"
    if port_open "$KAFKA_PORT"; then
      warn "something still listens on 127.0.0.1:$KAFKA_PORT but it was not started by this script; leaving it"
    else
      log "Kafka not running"
    fi
    return 0
  fi
  log "sending SIG$sig to Kafka (pid $pid)"
  kill "-$sig" "$pid" 2>/dev/null || true
  if [ "$sig" = KILL ]; then
    wait_pid_gone "$pid" 15 || die "Kafka pid $pid survived SIGKILL"
  elif ! wait_pid_gone "$pid" "$KAFKA_STOP_TIMEOUT"; then
    warn "Kafka did not stop within ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 15 || die "Kafka pid $pid survived SIGKILL"
  fi
  rm -f "$KAFKA_PIDFILE"
  log "Kafka stopped"
}

kafka_status() {
  local pid
  if pid=$(kafka_pid); then
    if [ -d "$KAFKA_LIBS" ] && kafka_api_ok; then
      echo "kafka: running (Kafka $(kafka_version), pid $pid, 127.0.0.1:$KAFKA_PORT, data $KAFKA_DATA)"
    else
      echo "kafka: starting/unresponsive (pid $pid, 127.0.0.1:$KAFKA_PORT not answering)"; return 1
    fi
  elif port_open "$KAFKA_PORT"; then
    echo "kafka: something not started by this script listens on 127.0.0.1:$KAFKA_PORT"
  else
    echo "kafka: stopped"; return 1
  fi
}

kafka_reset() {
  kafka_stop TERM
  log "removing Kafka data in $KAFKA_DATA"
  rm -rf "$KAFKA_DATA" "$KAFKA_DIR/cluster-id"
}

# ---------------------------------------------------------------- chromium
chromium_up() {
  if [ -x /usr/bin/chromium ]; then
    log "Chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  else
    apt_install chromium
    [ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing"
    log "Chromium installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
  fi
}

chromium_status() {
  if [ -x /usr/bin/chromium ]; then echo "chromium: installed ($(/usr/bin/chromium --version 2>/dev/null || true))"
  else echo "chromium: not installed"; return 1; fi
}

# ---------------------------------------------------------------- wrk (HTTP load for npm run bench)
wrk_up() {
  if command -v wrk >/dev/null 2>&1; then
    log "wrk present: $(command -v wrk)"
  else
    apt_install wrk
    command -v wrk >/dev/null 2>&1 || die "wrk installed but not on PATH"
    log "wrk installed"
  fi
}

wrk_status() {
  if command -v wrk >/dev/null 2>&1; then echo "wrk: installed ($(command -v wrk))"
  else echo "wrk: not installed"; return 1; fi
}

# ---------------------------------------------------------------- mailpit
mailpit_build() {
  # Built once per version; the stamp says which version the cached binary is.
  if [ -x "$MAILPIT_BIN" ] && [ "$(cat "$MAILPIT_BIN.version" 2>/dev/null)" = "$MAILPIT_VERSION" ]; then
    return 0
  fi
  local go=go
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; else apt_install golang-go; fi
  fi
  log "building Mailpit $MAILPIT_VERSION with $($go version) (go install, module proxy)"
  mkdir -p "$TOOLS_BIN"
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod "$go" install "github.com/axllent/mailpit@$MAILPIT_VERSION" >&2 9>&- || die "go install mailpit@$MAILPIT_VERSION failed"
  echo "$MAILPIT_VERSION" > "$MAILPIT_BIN.version"
}

mailpit_pid() { cat "$MAILPIT_DIR/mailpit.pid" 2>/dev/null || true; }

mailpit_up() {
  mailpit_build
  mkdir -p "$MAILPIT_DIR"
  if pid_alive "$(mailpit_pid)" && port_open "$MAILPIT_SMTP_PORT" && port_open "$MAILPIT_HTTP_PORT"; then
    log "Mailpit already running (pid $(mailpit_pid))"
    return 0
  fi
  if port_open "$MAILPIT_SMTP_PORT" || port_open "$MAILPIT_HTTP_PORT"; then
    die "127.0.0.1:$MAILPIT_SMTP_PORT or :$MAILPIT_HTTP_PORT is taken by another process; set MAILPIT_SMTP_PORT/MAILPIT_HTTP_PORT"
  fi
  log "starting Mailpit (SMTP 127.0.0.1:$MAILPIT_SMTP_PORT, API 127.0.0.1:$MAILPIT_HTTP_PORT)"
  # Loopback only; in-memory store; no update check, no reverse DNS (no network beyond loopback).
  nohup "$MAILPIT_BIN" --smtp "127.0.0.1:$MAILPIT_SMTP_PORT" --listen "127.0.0.1:$MAILPIT_HTTP_PORT" \
    --disable-version-check --smtp-disable-rdns --max 2000 --quiet \
    >"$MAILPIT_DIR/mailpit.log" 2>&1 9>&- </dev/null &
  echo $! > "$MAILPIT_DIR/mailpit.pid"
  local i
  for i in $(seq 1 50); do
    port_open "$MAILPIT_SMTP_PORT" && port_open "$MAILPIT_HTTP_PORT" && { log "Mailpit up (pid $(mailpit_pid))"; return 0; }
    pid_alive "$(mailpit_pid)" || break
    sleep 0.2
  done
  tail -n 20 "$MAILPIT_DIR/mailpit.log" >&2 || true
  die "Mailpit did not start"
}

mailpit_down() {
  local pid
  pid=$(mailpit_pid)
  if pid_alive "$pid"; then
    log "stopping Mailpit (pid $pid)"
    kill "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 10 || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$MAILPIT_DIR/mailpit.pid"
}

mailpit_status() {
  if pid_alive "$(mailpit_pid)" && port_open "$MAILPIT_SMTP_PORT"; then echo "mailpit: up (pid $(mailpit_pid), SMTP :$MAILPIT_SMTP_PORT, API :$MAILPIT_HTTP_PORT)"
  else echo "mailpit: down"; return 1; fi
}

# ---------------------------------------------------------------- mlflow-client
# The real MLflow Python client (pinned) in its own virtualenv, for the MLflow-compatibility tests.
MLFLOW_CLIENT_SPEC="mlflow-skinny==3.17.2"
MLFLOW_VENV="${MLFLOW_VENV:-${HOME:-/root}/.cache/model-ledger/venvs/mlflow-skinny-3.17.2}"
mlflow_client_up() {
  if [ -x "$MLFLOW_VENV/bin/python" ] && "$MLFLOW_VENV/bin/python" -c 'import mlflow, sys; sys.exit(mlflow.__version__ != "3.17.2")' 2>/dev/null; then
    log "mlflow client present in $MLFLOW_VENV"
    return
  fi
  command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  log "installing $MLFLOW_CLIENT_SPEC into $MLFLOW_VENV"
  python3 -m venv "$MLFLOW_VENV" >&2 9>&- || die "python3 -m venv $MLFLOW_VENV failed"
  "$MLFLOW_VENV/bin/pip" install -q --disable-pip-version-check "$MLFLOW_CLIENT_SPEC" >&2 9>&- || die "pip install $MLFLOW_CLIENT_SPEC failed"
}
mlflow_client_status() {
  if [ -x "$MLFLOW_VENV/bin/python" ]; then echo "mlflow-client: $("$MLFLOW_VENV/bin/python" -c 'import mlflow; print(mlflow.__version__)' 2>/dev/null)"
  else echo "mlflow-client: not installed"; return 1; fi
}

# ---------------------------------------------------------------- jaeger
# Plain `go install github.com/jaegertracing/jaeger/cmd/jaeger@...` is refused because Jaeger's
# go.mod has a `replace` line; a throwaway wrapper module that records it with `go get -tool`
# builds it (replace lines of dependencies are ignored). ~3.5 min and ~120 MB, so the binary is
# cached under $JAEGER_CACHE and built only when missing.
jaeger_build() {
  [ -x "$JAEGER_BIN" ] && return 0
  # Jaeger needs a recent Go (go.mod asks for 1.24+; newer toolchains come from the module proxy).
  [ -x /usr/local/go/bin/go ] && PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null 2>&1 || apt_install golang-go
  local work
  work=$(mktemp -d)
  log "building Jaeger $JAEGER_VERSION from the Go module proxy (a few minutes, once; cached at $JAEGER_BIN)"
  mkdir -p "$JAEGER_CACHE"
  (
    cd "$work"
    go mod init model-ledger/jaeger-tool >&2 2>&1
    go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$JAEGER_BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2
  ) 9>&- || { rm -rf "$work" "$JAEGER_BIN.tmp"; die "building Jaeger $JAEGER_VERSION failed"; }
  mv "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  rm -rf "$work"
  log "Jaeger built: $JAEGER_BIN ($(du -h "$JAEGER_BIN" | cut -f1))"
}

jaeger_pid() {
  local pid
  [ -f "$JAEGER_PIDFILE" ] || return 1
  pid=$(cat "$JAEGER_PIDFILE" 2>/dev/null || true)
  if pid_alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'jaeger'; then
    echo "$pid"; return 0
  fi
  return 1
}

jaeger_api_ok() { curl -fsS -m 3 "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services" >/dev/null 2>&1; }

jaeger_up() {
  local pid
  jaeger_build
  mkdir -p "$JAEGER_DIR"
  if pid=$(jaeger_pid); then
    log "Jaeger already running (pid $pid)"
  elif port_open "$JAEGER_QUERY_PORT"; then
    jaeger_api_ok || die "port $JAEGER_QUERY_PORT is in use by something that is not Jaeger"
    warn "a Jaeger not started by this script already answers on 127.0.0.1:$JAEGER_QUERY_PORT; using it"
    return 0
  else
    sed -e "s#@OTLP_GRPC_PORT@#$JAEGER_OTLP_GRPC_PORT#g" \
        -e "s#@OTLP_HTTP_PORT@#$JAEGER_OTLP_HTTP_PORT#g" \
        -e "s#@QUERY_PORT@#$JAEGER_QUERY_PORT#g" \
        -e "s#@QUERY_GRPC_PORT@#$JAEGER_QUERY_GRPC_PORT#g" \
        "$SCRIPT_DIR/jaeger/config.yaml.template" > "$JAEGER_DIR/config.yaml"
    log "starting Jaeger $JAEGER_VERSION (in-memory store; OTLP http :$JAEGER_OTLP_HTTP_PORT grpc :$JAEGER_OTLP_GRPC_PORT; UI/API :$JAEGER_QUERY_PORT)"
    echo "===== $(date -Is) start" >> "$JAEGER_DIR/jaeger.out"
    setsid "$JAEGER_BIN" --config "file:$JAEGER_DIR/config.yaml" \
      </dev/null >>"$JAEGER_DIR/jaeger.out" 2>&1 9>&- &
    pid=$!
    echo "$pid" > "$JAEGER_PIDFILE"
  fi
  local deadline=$(( $(date +%s) + JAEGER_START_TIMEOUT ))
  until jaeger_api_ok; do
    if ! pid_alive "$pid"; then
      tail -n 40 "$JAEGER_DIR/jaeger.out" >&2 || true
      rm -f "$JAEGER_PIDFILE"
      die "Jaeger exited during startup (see $JAEGER_DIR/jaeger.out)"
    fi
    [ "$(date +%s)" -ge "$deadline" ] && die "Jaeger did not answer on :$JAEGER_QUERY_PORT within ${JAEGER_START_TIMEOUT}s"
    sleep 0.5
  done
  log "Jaeger ready: OTLP http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT, query http://127.0.0.1:$JAEGER_QUERY_PORT (pid $pid)"
}

jaeger_down() {
  local pid
  if ! pid=$(jaeger_pid); then rm -f "$JAEGER_PIDFILE"; log "Jaeger not running"; return 0; fi
  log "stopping Jaeger (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  wait_pid_gone "$pid" 20 || { kill -KILL "$pid" 2>/dev/null || true; wait_pid_gone "$pid" 10 || true; }
  rm -f "$JAEGER_PIDFILE"
}

jaeger_status() {
  local pid
  if pid=$(jaeger_pid) && jaeger_api_ok; then
    echo "jaeger: running (Jaeger $JAEGER_VERSION, pid $pid, query 127.0.0.1:$JAEGER_QUERY_PORT)"
  elif [ -x "$JAEGER_BIN" ]; then
    echo "jaeger: stopped (binary cached at $JAEGER_BIN)"; return 1
  else
    echo "jaeger: not built"; return 1
  fi
}

# ---------------------------------------------------------------- env output
print_env() {
  local c
  for c in "$@"; do
    case $c in
      postgres)
        echo "DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/ledger_test" ;;
      kafka)
        echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" ;;
      chromium)
        echo "CHROME_BIN=/usr/bin/chromium"
        echo "PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium" ;;
      mailpit)
        echo "MAILPIT_SMTP_URL=smtp://127.0.0.1:$MAILPIT_SMTP_PORT"
        echo "MAILPIT_API_URL=http://127.0.0.1:$MAILPIT_HTTP_PORT" ;;
      mlflow-client)
        echo "MLFLOW_PYTHON=$MLFLOW_VENV/bin/python" ;;
      jaeger)
        echo "JAEGER_OTLP_ENDPOINT=http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT"
        echo "JAEGER_QUERY_URL=http://127.0.0.1:$JAEGER_QUERY_PORT" ;;
    esac
  done
}

# ---------------------------------------------------------------- main
usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  local comps=("$@") c rc=0
  for c in "${comps[@]}"; do
    case $c in postgres|kafka|chromium|mailpit|mlflow-client|jaeger|wrk) ;; *) usage; die "unknown component '$c'";; esac
  done

  case $cmd in
    up)
      [ ${#comps[@]} -gt 0 ] || comps=(postgres kafka)
      take_lock
      for c in "${comps[@]}"; do "${c//-/_}_up"; done
      log "up done in $(( $(date +%s) - START_TS ))s"
      print_env "${comps[@]}"
      ;;
    down)
      [ ${#comps[@]} -gt 0 ] || comps=(postgres kafka)
      take_lock
      for c in "${comps[@]}"; do
        case $c in
          postgres) postgres_down ;;
          kafka) kafka_stop TERM ;;
          chromium|mlflow-client|wrk) log "$c is only a package; nothing to stop" ;;
          mailpit) mailpit_down ;;
          jaeger) jaeger_down ;;
        esac
      done
      ;;
    status)
      [ ${#comps[@]} -gt 0 ] || comps=(postgres kafka)
      for c in "${comps[@]}"; do "${c//-/_}_status" || rc=1; done
      return $rc
      ;;
    env)
      [ ${#comps[@]} -gt 0 ] || comps=(postgres kafka)
      print_env "${comps[@]}"
      ;;
    kafka-kill)  take_lock; kafka_stop KILL ;;
    kafka-start) take_lock; kafka_start; print_env kafka ;;
    kafka-reset) take_lock; kafka_reset ;;
    -h|--help|help) usage ;;
    *) usage; die "unknown command '${cmd}'" ;;
  esac
}

kafka_up() { kafka_start; }

main "$@"
