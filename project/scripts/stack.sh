#!/usr/bin/env bash
# The local stack without Docker.
#
#   stack.sh up          infrastructure + every service + Prometheus scraping
#                        them; prints the URLs
#   stack.sh down        stops what `up` started, and only that
#   stack.sh infra       infrastructure only (used by the test command)
#   stack.sh infra-down  stops the infrastructure `infra` started, and only that
#   stack.sh status      what runs, on which port
#   stack.sh browser     installs what the browser test needs (Debian's chromium,
#                        playwright-core from npm; never a browser download)
#   stack.sh deploy-tools installs what the deployment and API checks need
#                        (Debian's caddy, docker-compose, docker client and
#                        prometheus, for promtool; PyPI's schemathesis)
#   stack.sh caddy       runs Debian's Caddy with the top-level Caddyfile in front of
#                        the local page and broker (page :8090, API Host: backend)
#
# A dependency already listening on its port (Postgres :5432, RabbitMQ :5672,
# a Mongo-wire server :27017, an SMTP catcher :1025) is reused and never stopped
# by `down`. What is missing is installed: Debian's postgresql and
# rabbitmq-server, PyPI's SecantusDB (the MongoDB wire protocol), npm's MailDev
# (an SMTP catcher with a web UI and an HTTP API).
#
# Prometheus (Debian's prometheus) scrapes every service's /metrics with the jobs
# of project/observability/prometheus.yml, each target rewritten to 127.0.0.1 and
# the service's port here ($STACK_DIR/prometheus.yml); `up` waits until it reports
# every target up. Something already listening on PROMETHEUS_PORT is reused as is
# (then it is up to it to scrape the services) and never stopped by `down`.
#
# Environment: STACK_DIR (state: pids, logs, data; default <repo>/.stack),
# PROFILE (release|debug, default release), and the ports below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
PROFILE="${PROFILE:-release}"
PIDS="$STACK_DIR/pids"
LOGS="$STACK_DIR/logs"
STARTED="$STACK_DIR/infra-started"

POSTGRES_PORT="${POSTGRES_PORT:-5432}"
RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
MONGO_PORT="${MONGO_PORT:-27017}"
SMTP_PORT="${SMTP_PORT:-1025}"
MAILDEV_PORT="${MAILDEV_PORT:-1080}"
MAILDEV_VERSION="2.2.1"
TOOLS="$ROOT/.stack/tools"
BROKER_PORT="${BROKER_PORT:-8080}"
LOGGER_PORT="${LOGGER_PORT:-8082}"
LOGGER_RPC_PORT="${LOGGER_RPC_PORT:-5001}"
LOGGER_GRPC_PORT="${LOGGER_GRPC_PORT:-50001}"
LISTENER_PORT="${LISTENER_PORT:-8085}"
FRONT_END_PORT="${FRONT_END_PORT:-8081}"
AUTH_PORT="${AUTH_PORT:-8083}"
AUTH_RPC_PORT="${AUTH_RPC_PORT:-5002}"
AUTH_GRPC_PORT="${AUTH_GRPC_PORT:-50002}"
MAIL_PORT="${MAIL_PORT:-8084}"
MAIL_RPC_PORT="${MAIL_RPC_PORT:-5003}"
MAIL_GRPC_PORT="${MAIL_GRPC_PORT:-50003}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
# The scrape jobs shared with compose, Swarm and Kubernetes.
SCRAPE_CONFIG="${SCRAPE_CONFIG:-$ROOT/project/observability/prometheus.yml}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port name seconds
  local port=$1 name=$2 seconds=${3:-60}
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    listening "$port" && return 0
    sleep 0.25
  done
  die "$name did not listen on :$port within ${seconds}s (see $LOGS)"
}

wait_for_http() { # url name seconds
  local url=$1 name=$2 seconds=${3:-60}
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.25
  done
  die "$name is not healthy at $url within ${seconds}s (see $LOGS/$name.log)"
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "cannot install $* here: no apt-get; install it yourself"
  if [[ -z $APT_UPDATED ]]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

mark_started() { grep -qx "$1" "$STARTED" 2>/dev/null || echo "$1" >>"$STARTED"; }

# --- infrastructure -----------------------------------------------------------

start_postgres() {
  if listening "$POSTGRES_PORT"; then log "postgres: reusing :$POSTGRES_PORT"; return; fi
  command -v pg_ctlcluster >/dev/null || { log "postgres: installing"; apt_install postgresql; }
  local version
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  [[ -n $version ]] || die "postgres: no cluster in /etc/postgresql"
  log "postgres: starting cluster $version/main"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for_port "$POSTGRES_PORT" postgres 60
  # A password for TCP logins (Debian's default is scram for 127.0.0.1).
  as_root runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'password'" >/dev/null
  mark_started "postgres $version"
}

start_rabbitmq() {
  if listening "$RABBITMQ_PORT"; then log "rabbitmq: reusing :$RABBITMQ_PORT"; return; fi
  command -v rabbitmq-server >/dev/null || { log "rabbitmq: installing"; apt_install rabbitmq-server; }
  log "rabbitmq: starting"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for_port "$RABBITMQ_PORT" rabbitmq 120
  mark_started "rabbitmq"
}

start_mongo() {
  if listening "$MONGO_PORT"; then log "mongo-wire: reusing :$MONGO_PORT"; return; fi
  if ! command -v secantusd-py >/dev/null; then
    log "mongo-wire: installing SecantusDB from PyPI"
    python3 -m pip install --quiet SecantusDB || die "pip install SecantusDB failed"
    hash -r
  fi
  mkdir -p "$STACK_DIR/data/mongo"
  log "mongo-wire: starting SecantusDB on :$MONGO_PORT"
  nohup secantusd-py --standalone --host 127.0.0.1 --port "$MONGO_PORT" \
    --storage-path "$STACK_DIR/data/mongo" --log-level WARNING \
    >"$LOGS/mongo.log" 2>&1 &
  echo $! >"$PIDS/mongo.pid"
  wait_for_port "$MONGO_PORT" mongo-wire 60
  mark_started "mongo"
}

start_smtp() {
  if listening "$SMTP_PORT"; then log "smtp catcher: reusing :$SMTP_PORT"; return; fi
  command -v npm >/dev/null || { log "smtp catcher: installing Node.js"; apt_install nodejs npm; }
  local bin="$TOOLS/node_modules/maildev/bin/maildev"
  if [[ ! -x $bin ]]; then
    log "smtp catcher: installing MailDev $MAILDEV_VERSION from npm"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "maildev@$MAILDEV_VERSION" >/dev/null
  fi
  log "smtp catcher: starting MailDev (SMTP :$SMTP_PORT, web :$MAILDEV_PORT)"
  nohup node "$bin" --ip 127.0.0.1 --smtp "$SMTP_PORT" --web "$MAILDEV_PORT" \
    >"$LOGS/maildev.log" 2>&1 &
  echo $! >"$PIDS/maildev.pid"
  wait_for_port "$SMTP_PORT" maildev 60
  wait_for_port "$MAILDEV_PORT" maildev 60
  mark_started "maildev"
}

infra_up() {
  mkdir -p "$PIDS" "$LOGS"
  start_postgres
  start_rabbitmq
  start_mongo
  start_smtp
}

stop_pid() { # name
  local file="$PIDS/$1.pid" pid i
  [[ -f $file ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { log "$1: still running; killing"; kill -KILL "$pid" 2>/dev/null || true; }
    log "$1: stopped"
  fi
  rm -f "$file"
}

infra_down() {
  [[ -f $STARTED ]] || { log "no infrastructure was started by this stack"; return 0; }
  local line
  while read -r line; do
    case "$line" in
      mongo) stop_pid mongo ;;
      maildev) stop_pid maildev ;;
      rabbitmq) as_root rabbitmqctl stop >/dev/null 2>&1 || true; log "rabbitmq: stopped" ;;
      postgres\ *) as_root pg_ctlcluster --skip-systemctl-redirect "${line#postgres }" main stop || true; log "postgres: stopped" ;;
    esac
  done <"$STARTED"
  rm -f "$STARTED"
}

browser_tools() {
  command -v npm >/dev/null || { log "browser test: installing Node.js"; apt_install nodejs npm; }
  command -v chromium >/dev/null || { log "browser test: installing Debian's chromium"; apt_install chromium; }
  local dir="$ROOT/front-end/tests/browser"
  if [[ ! -d $dir/node_modules/playwright-core ]]; then
    log "browser test: installing playwright-core"
    (cd "$dir" && npm ci --silent --no-audit --no-fund >/dev/null)
  fi
}

deploy_tools() {
  command -v schemathesis >/dev/null || { log "API checks: installing schemathesis from PyPI"; python3 -m pip install --quiet schemathesis; hash -r; }
  command -v caddy >/dev/null || { log "deployment checks: installing Debian's caddy"; apt_install caddy; }
  command -v docker-compose >/dev/null || { log "deployment checks: installing Debian's docker-compose"; apt_install docker-compose; }
  command -v docker >/dev/null || { log "deployment checks: installing the docker client"; apt_install docker.io; }
  command -v promtool >/dev/null || install_prometheus
}

# --- observability ------------------------------------------------------------

install_prometheus() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
  log "prometheus: installing Debian's prometheus"
  apt_install --no-install-recommends prometheus
  # Under systemd the package starts a Prometheus of its own (on :9090, scraping
  # only itself); this stack runs its own with its own configuration.
  if [[ -d /run/systemd/system ]] && systemctl is-active --quiet prometheus 2>/dev/null; then
    log "prometheus: stopping and disabling the service the package started"
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
}

# The local scrape configuration: $SCRAPE_CONFIG with each job's target line
# replaced by 127.0.0.1 and that service's port on this stack. A job without a
# local port, or without exactly one target line, is an error.
prometheus_config() { # out
  local out=$1
  mkdir -p "$(dirname "$out")"
  {
    echo "# Generated by project/scripts/stack.sh from $SCRAPE_CONFIG: edit that file."
    awk -v ports="broker=$BROKER_PORT logger=$LOGGER_PORT authentication=$AUTH_PORT \
mail=$MAIL_PORT listener=$LISTENER_PORT front-end=$FRONT_END_PORT" '
      BEGIN {
        n = split(ports, pairs, " ")
        for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); port[kv[1]] = kv[2] }
      }
      /^[ ]*- job_name:/ {
        job = $NF
        if (!(job in port)) { bad = "no local port for the scrape job " job; exit }
        if (job in jobs) { bad = "the scrape job " job " appears twice"; exit }
        jobs[job] = 0
        njobs++
      }
      /^[ ]*- targets:/ {
        if (job == "") { bad = "a target before any job"; exit }
        sub(/\[.*\]/, "[\"127.0.0.1:" port[job] "\"]")
        jobs[job]++
      }
      { print }
      END {
        if (bad == "" && njobs == 0) bad = "no scrape job"
        for (j in jobs) if (bad == "" && jobs[j] != 1) bad = "the scrape job " j " has " jobs[j] " target lines, not one"
        if (bad != "") { print bad > "/dev/stderr"; exit 1 }
      }
    ' "$SCRAPE_CONFIG"
  } >"$out.tmp" 2>"$out.err" || die "prometheus: $(cat "$out.err") in $SCRAPE_CONFIG"
  rm -f "$out.err"
  mv "$out.tmp" "$out"
}

start_prometheus() {
  mkdir -p "$PIDS" "$LOGS"
  if [[ -f $PIDS/prometheus.pid ]] && kill -0 "$(cat "$PIDS/prometheus.pid")" 2>/dev/null; then
    log "prometheus: already running"; return
  fi
  prometheus_config "$STACK_DIR/prometheus.yml"
  if listening "$PROMETHEUS_PORT"; then
    log "prometheus: reusing :$PROMETHEUS_PORT (the stack's scrape jobs: $STACK_DIR/prometheus.yml)"
    return
  fi
  install_prometheus
  mkdir -p "$STACK_DIR/data/prometheus"
  log "prometheus: starting on :$PROMETHEUS_PORT"
  nohup prometheus --config.file="$STACK_DIR/prometheus.yml" \
    --storage.tsdb.path="$STACK_DIR/data/prometheus" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    >"$LOGS/prometheus.log" 2>&1 &
  echo $! >"$PIDS/prometheus.pid"
  wait_for_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" prometheus 60
}

# Every active target of the Prometheus on PROMETHEUS_PORT, one line each:
# health, job, scrape URL, last error.
prometheus_targets() {
  curl -fsS --max-time 2 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active" 2>/dev/null |
    python3 -c '
import json, sys
try:
    targets = json.load(sys.stdin)["data"]["activeTargets"]
except (ValueError, KeyError, TypeError):
    sys.exit(1)
for t in targets:
    print(t["health"], t["labels"].get("job", "?"), t["scrapeUrl"], t.get("lastError") or "-")'
}

# Waits until the Prometheus on PROMETHEUS_PORT reports every target up; past
# the seconds, fails naming the targets that are not (down, or not scraped yet).
wait_for_targets() { # seconds
  local seconds=${1:-30} deadline targets not_up line
  deadline=$((SECONDS + seconds))
  while :; do
    targets="$(prometheus_targets || true)"
    not_up="$(grep -v '^up ' <<<"$targets" || true)"
    [[ -n $targets && -z $not_up ]] && return 0
    ((SECONDS < deadline)) || break
    sleep 0.5
  done
  [[ -n $targets ]] || die "prometheus: no targets from :$PROMETHEUS_PORT within ${seconds}s (see $LOGS/prometheus.log)"
  while read -r line; do log "prometheus: $line"; done <<<"$not_up"
  die "prometheus: targets not up within ${seconds}s: $(awk '{print $2}' <<<"$not_up" | sort | paste -sd' ') \
(see http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets)"
}

observability_up() {
  start_prometheus
  if [[ -f $PIDS/prometheus.pid ]]; then
    wait_for_targets 30
    log "prometheus: every service's /metrics is up"
  fi
}

CADDY_PORT="${CADDY_PORT:-8090}"

caddy_up() {
  deploy_tools
  mkdir -p "$PIDS" "$LOGS"
  log "caddy: page on http://localhost:$CADDY_PORT, the broker on Host backend:$CADDY_PORT"
  # The caught-mail site (MailDev's UI here) needs MAILHOG_PASSWORD_HASH; unset,
  # nobody gets in (MailDev is on :$MAILDEV_PORT anyway).
  PAGE_SITE="http://localhost:$CADDY_PORT" API_SITE="http://backend:$CADDY_PORT" \
    MAIL_SITE="http://mail.localhost:$CADDY_PORT" MAILHOG="127.0.0.1:$MAILDEV_PORT" \
    FRONT_END="127.0.0.1:$FRONT_END_PORT" BROKER="127.0.0.1:$BROKER_PORT" \
    nohup caddy run --adapter caddyfile --config "$ROOT/Caddyfile" >"$LOGS/caddy.log" 2>&1 &
  echo $! >"$PIDS/caddy.pid"
  wait_for_port "$CADDY_PORT" caddy 30
  echo "  curl -s http://localhost:$CADDY_PORT/                      # the page"
  echo "  curl -s -H 'Host: backend' -XPOST http://127.0.0.1:$CADDY_PORT/  # the broker"
}

# --- services -----------------------------------------------------------------

SERVICES=(logger authentication mail listener broker front-end caddy)

build() {
  log "building services ($PROFILE)"
  local flag=()
  [[ $PROFILE == release ]] && flag=(--release)
  (cd "$ROOT" && cargo build "${flag[@]}" --bins --quiet)
}

start_service() { # name env...
  local name=$1; shift
  if [[ -f $PIDS/$name.pid ]] && kill -0 "$(cat "$PIDS/$name.pid")" 2>/dev/null; then
    log "$name: already running"; return
  fi
  log "$name: starting"
  # Memory: every binary allocates with jemalloc, tuned in .cargo/config.toml.
  env "$@" nohup "$ROOT/target/$PROFILE/$name" >"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

services_up() {
  local amqp="amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/%2f"
  start_service logger HTTP_ADDR="127.0.0.1:$LOGGER_PORT" RPC_ADDR="127.0.0.1:$LOGGER_RPC_PORT" \
    GRPC_ADDR="127.0.0.1:$LOGGER_GRPC_PORT" AMQP_URL="$amqp" MONGO_URL="mongodb://127.0.0.1:$MONGO_PORT"
  start_service authentication HTTP_ADDR="127.0.0.1:$AUTH_PORT" RPC_ADDR="127.0.0.1:$AUTH_RPC_PORT" \
    GRPC_ADDR="127.0.0.1:$AUTH_GRPC_PORT" AMQP_URL="$amqp" LOGGER_URL="http://127.0.0.1:$LOGGER_PORT" \
    DSN="postgres://postgres:password@127.0.0.1:$POSTGRES_PORT/users"
  start_service mail HTTP_ADDR="127.0.0.1:$MAIL_PORT" RPC_ADDR="127.0.0.1:$MAIL_RPC_PORT" \
    GRPC_ADDR="127.0.0.1:$MAIL_GRPC_PORT" AMQP_URL="$amqp" MAIL_HOST=127.0.0.1 MAIL_PORT="$SMTP_PORT" \
    MAIL_ENCRYPTION=none
  start_service listener HTTP_ADDR="127.0.0.1:$LISTENER_PORT" AMQP_URL="$amqp" \
    LOGGER_URL="http://127.0.0.1:$LOGGER_PORT"
  start_service broker HTTP_ADDR="127.0.0.1:$BROKER_PORT" AMQP_URL="$amqp" \
    LOGGER_URL="http://127.0.0.1:$LOGGER_PORT" LOGGER_RPC_ADDR="127.0.0.1:$LOGGER_RPC_PORT" \
    LOGGER_GRPC_URL="http://127.0.0.1:$LOGGER_GRPC_PORT" \
    AUTH_URL="http://127.0.0.1:$AUTH_PORT" AUTH_RPC_ADDR="127.0.0.1:$AUTH_RPC_PORT" \
    AUTH_GRPC_URL="http://127.0.0.1:$AUTH_GRPC_PORT" \
    MAIL_URL="http://127.0.0.1:$MAIL_PORT" MAIL_RPC_ADDR="127.0.0.1:$MAIL_RPC_PORT" \
    MAIL_GRPC_URL="http://127.0.0.1:$MAIL_GRPC_PORT"
  start_service front-end HTTP_ADDR="127.0.0.1:$FRONT_END_PORT" BROKER_URL="http://127.0.0.1:$BROKER_PORT"
  wait_for_http "http://127.0.0.1:$LOGGER_PORT/health" logger
  wait_for_http "http://127.0.0.1:$AUTH_PORT/health" authentication
  wait_for_http "http://127.0.0.1:$MAIL_PORT/ping" mail
  wait_for_http "http://127.0.0.1:$LISTENER_PORT/health" listener
  wait_for_http "http://127.0.0.1:$BROKER_PORT/ping" broker
  wait_for_http "http://127.0.0.1:$FRONT_END_PORT/ping" front-end
}

services_down() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_pid "${SERVICES[$i]}"; done
}

status() {
  local name port
  for name_port in "front-end $FRONT_END_PORT" "broker $BROKER_PORT" "logger $LOGGER_PORT" "auth $AUTH_PORT" \
    "mail $MAIL_PORT" "listener $LISTENER_PORT" "postgres $POSTGRES_PORT" \
    "rabbitmq $RABBITMQ_PORT" "mongo-wire $MONGO_PORT" "smtp $SMTP_PORT" "maildev-ui $MAILDEV_PORT" \
    "prometheus $PROMETHEUS_PORT"; do
    read -r name port <<<"$name_port"
    if listening "$port"; then printf '  %-11s up    :%s\n' "$name" "$port"
    else printf '  %-11s down  :%s\n' "$name" "$port"; fi
  done
}

urls() {
  cat <<URLS

flexiconnect is up.
  The test page            http://127.0.0.1:$FRONT_END_PORT
  Broker (the public API)  http://127.0.0.1:$BROKER_PORT
  Logger                   http://127.0.0.1:$LOGGER_PORT  (tarpc :$LOGGER_RPC_PORT, gRPC :$LOGGER_GRPC_PORT)
  Authentication           http://127.0.0.1:$AUTH_PORT  (tarpc :$AUTH_RPC_PORT, gRPC :$AUTH_GRPC_PORT)
  Mail                     http://127.0.0.1:$MAIL_PORT  (tarpc :$MAIL_RPC_PORT, gRPC :$MAIL_GRPC_PORT)
  Caught mail (MailDev)    http://127.0.0.1:$MAILDEV_PORT  (SMTP :$SMTP_PORT)
  Listener health          http://127.0.0.1:$LISTENER_PORT/health
  Prometheus               http://127.0.0.1:$PROMETHEUS_PORT  (scrapes every service's /metrics; targets: /api/v1/targets)
  Logs of the services     $LOGS
Try:
  curl -s -XPOST http://127.0.0.1:$BROKER_PORT/handle -d '{"action":"log","transport":"grpc","log":{"name":"event","data":"hello"}}'
  curl -s -XPOST http://127.0.0.1:$BROKER_PORT/handle -d '{"action":"auth","transport":"rpc","auth":{"email":"admin@example.com","password":"verysecret"}}'
  curl -s -XPOST http://127.0.0.1:$BROKER_PORT/handle -d '{"action":"mail","transport":"amqp","mail":{"from":"me@example.com","to":"you@example.com","subject":"Hi","message":"Hello"}}'
Stop with: make -C project local-down
URLS
}

main() {
  case "${1:-}" in
    up) infra_up; build; services_up; observability_up; urls ;;
    down) stop_pid prometheus; services_down; infra_down ;;
    infra) infra_up ;;
    infra-down) infra_down ;;
    status) status ;;
    browser) browser_tools ;;
    deploy-tools) deploy_tools ;;
    caddy) caddy_up ;;
    *) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
}

# Sourced (by test-stack.sh), the script only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
