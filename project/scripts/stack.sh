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
# NATS :4222 with JetStream, a Mongo-wire server :27017, an SMTP catcher :1025)
# is reused and never stopped by `down`. What is missing is installed: Debian's
# postgresql, rabbitmq-server and nats-server (run with -js), PyPI's SecantusDB
# (the MongoDB wire protocol), npm's MailDev (an SMTP catcher with a web UI and
# an HTTP API).
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
NATS_PORT="${NATS_PORT:-4222}"
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

# apt-get, waiting (up to 10 min) for another apt-get or dpkg to let go of its
# lock rather than failing on it: `make local` beside `make test`, both installing.
# `install` waits by itself (DPkg::Lock::Timeout); `update` does not, so it is retried.
apt_get() {
  local tries=0 error
  until error=$(as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1 >/dev/null); do
    if [[ $error == *"Could not get lock"* ]] && ((tries++ < 120)); then
      ((tries == 1)) && log "apt: waiting for another apt-get or dpkg to finish"
      sleep 5
      continue
    fi
    printf '%s\n' "$error" >&2
    return 1
  done
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "cannot install $* here: no apt-get; install it yourself"
  if [[ -z $APT_UPDATED ]]; then apt_get update -qq; APT_UPDATED=1; fi
  apt_get install -y -qq "$@"
}

mark_started() { grep -qx "$1" "$STARTED" 2>/dev/null || echo "$1" >>"$STARTED"; }

# --- infrastructure (stack-infra.sh) and Prometheus (stack-observability.sh) ---

HERE="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=stack-infra.sh
source "$HERE/stack-infra.sh"
# shellcheck source=stack-observability.sh
source "$HERE/stack-observability.sh"

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
  # Every service but the front-end talks to NATS (anonymous on the local stack).
  export NATS_URL="nats://127.0.0.1:$NATS_PORT"
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
    "rabbitmq $RABBITMQ_PORT" "nats $NATS_PORT" "mongo-wire $MONGO_PORT" "smtp $SMTP_PORT" "maildev-ui $MAILDEV_PORT" \
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
  NATS (JetStream)         nats://127.0.0.1:$NATS_PORT  (stream FLEXI_EVENTS: the events sent with "bus":"nats")
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
