#!/usr/bin/env bash
# project/docker-compose.yml brought up for real on a machine with no Docker
# engine and no image registry, as `make -C project compose-check` and the test
# command run it (docs/deploy.md, "The compose check": what it proves and what it does not):
#
# 1. the infrastructure's stand-ins are built with buildah from
#    project/standins/<service>/, FROM the project's debian:bookworm-slim
#    (containers.sh bases, same storage as containers.sh build);
# 2. podman's Docker-compatible API serves on a socket of the check's own
#    (DOCKER_HOST), and podman-healthchecks.sh runs every container's
#    healthcheck for the check's life (no systemd here), so `depends_on:
#    condition: service_healthy` holds as on Docker;
# 3. `make -C project up-build`, with the compose command the machine has,
#    builds the six images from project/Dockerfile (a cache hit after
#    containers.sh build) and starts every service but Jaeger and Grafana (no
#    package to make a stand-in of), as the compose project flexiconnect-check,
#    with project/standins/docker-compose.standins.yml laid over the file (it
#    only swaps image:) and each published port that is taken here (a running
#    local stack) moved to a free one through its <NAME>_HOST_PORT;
# 4. every container must become healthy by its own healthcheck; then the fifteen
#    action × transport calls and the original page's five (container-calls.sh)
#    go through the published broker, the page is loaded from the published
#    front-end, mail is read from MailHog's published API, Prometheus must
#    scrape every service, RabbitMQ must hold the definitions' users and no
#    guest, and MongoDB must refuse a command without a login;
# 5. `make -C project down DOWN_FLAGS=-v` takes it all down, after a failure too;
#    what it could not remove is removed by its compose label with podman
#    itself; the healthcheck loop and the API service are stopped.
#
# COMPOSE picks the compose command (as in the Makefile); COMPOSE_CHECK_PROJECT
# the project's name; COMPOSE_CHECK_UP_SECONDS bounds `make up-build` (default
# 1800: the six images built cold fit in it).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=containers.sh
source "$HERE/containers.sh" # ROOT, STATE, die; tools, configure, bases
log() { printf '[compose-check] %s\n' "$*" >&2; }
# shellcheck source=container-calls.sh
source "$HERE/container-calls.sh" # pass, fail, FAILED, eventually; calls

PROJECT="${COMPOSE_CHECK_PROJECT:-flexiconnect-check}"
COMPOSE_YML="$ROOT/project/docker-compose.yml"
STANDINS="$ROOT/project/standins"
OVERRIDE="$STANDINS/docker-compose.standins.yml"
SOCKET="$STATE/compose-check.sock"
LABEL="label=com.docker.compose.project=$PROJECT"
RUN_ID="compose$$"
UP=() # the services the check starts

# read_yaml FILE services|left-out: a compose file's services with their images,
# or the override's x-left-out, one a line. Debian's Python: PyYAML comes with
# its docker-compose, which `tools` installs.
read_yaml() {
  /usr/bin/python3 -c 'import sys, yaml
document = yaml.safe_load(open(sys.argv[1]))
if sys.argv[2] == "services":
    for name, service in document["services"].items():
        print(name, service.get("image", "-"))
else:
    print("\n".join(document["x-left-out"]))' "$@" || die "cannot read $1"
}

build_standins() {
  local service image started standins
  standins="$(read_yaml "$OVERRIDE" services)"
  while read -r service image; do
    [[ -f $STANDINS/$service/Containerfile ]] || die "$OVERRIDE names $image, but $STANDINS/$service/Containerfile is missing"
    started=$SECONDS
    buildah bud --layers --pull=never -t "$image" "$STANDINS/$service" >"$STATE/standin-$service.log" 2>&1 \
      || { tail -20 "$STATE/standin-$service.log" >&2; die "building the $service stand-in failed"; }
    log "stand-in $image built in $((SECONDS - started)) s"
  done <<<"$standins"
}

start_api() {
  rm -f "$SOCKET"
  podman system service --time=0 "unix://$SOCKET" >"$STATE/compose-api.log" 2>&1 &
  API_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -S $SOCKET ]] && break; sleep 0.1; done
  [[ -S $SOCKET ]] || die "podman's API did not start (see $STATE/compose-api.log)"
  export DOCKER_HOST="unix://$SOCKET"
}

# Each <NAME>_HOST_PORT of docker-compose.yml: its default (or the value given)
# when free here, else a free port, exported for compose to read.
move_taken_ports() {
  local vars=() wanted=() got=() var default i
  # shellcheck disable=SC2016 # the compose file's ${NAME:-default}, literally
  while IFS=: read -r var default; do
    vars+=("$var") wanted+=("${!var:-$default}")
  done < <(grep -o '\${[A-Z_]*_HOST_PORT:-[0-9]*}' "$COMPOSE_YML" | tr -d '${}' | sed 's/:-/:/' | sort -u)
  mapfile -t got < <(python3 "$HERE/free-ports.py" --prefer "${wanted[@]}")
  ((${#got[@]} == ${#vars[@]})) || die "free-ports.py found no free ports"
  for i in "${!vars[@]}"; do
    export "${vars[$i]}=${got[$i]}"
    [[ ${got[$i]} == "${wanted[$i]}" ]] || log "${vars[$i]}: :${wanted[$i]} is taken here, the check publishes on :${got[$i]}"
  done
}

# container SERVICE: the name of the service's container.
container() {
  podman ps -a --filter "$LABEL" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1
}

# UP: every service of docker-compose.yml but the override's x-left-out; and what
# make reads: the project, the override, the services.
choose_services() {
  local service image services left_out
  services="$(read_yaml "$COMPOSE_YML" services)"
  left_out="$(read_yaml "$OVERRIDE" left-out)"
  mapfile -t LEFT_OUT <<<"$left_out"
  while read -r service image; do
    [[ " ${LEFT_OUT[*]} " == *" $service "* ]] || UP+=("$service")
  done <<<"$services"
  export COMPOSE_PROJECT="$PROJECT" COMPOSE_OVERRIDES="$OVERRIDE" COMPOSE_SERVICES="${UP[*]}"
}

up_build() {
  log "make -C project up-build: ${UP[*]} (left out: ${LEFT_OUT[*]}), as the project $PROJECT"
  local started=$SECONDS
  # In the background, so that a signal's trap runs at once, not after it.
  timeout "${COMPOSE_CHECK_UP_SECONDS:-1800}" make -C "$ROOT/project" up-build >"$STATE/compose-up.log" 2>&1 &
  UP_PID=$!
  if ! wait "$UP_PID"; then
    tail -25 "$STATE/compose-up.log"
    fail "make up-build" "failed or timed out (see $STATE/compose-up.log)"
    return 1
  fi
  pass "make up-build: built and started in $((SECONDS - started)) s"
}

# Every started container healthy by its own healthcheck, within SECONDS.
all_healthy() {
  local deadline=$((SECONDS + $1)) service name status waiting
  while :; do
    kill -0 "$HEALTH_PID" 2>/dev/null || { fail "healthchecks" "the healthcheck loop stopped"; return 1; }
    waiting=()
    for service in "${UP[@]}"; do
      name="$(container "$service")"
      status="$(podman inspect --format '{{.State.Health.Status}}' "$name" 2>/dev/null || true)"
      [[ $status == healthy ]] || waiting+=("$service (${status:-no container})")
    done
    ((${#waiting[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      fail "healthy" "not healthy within $1 s: ${waiting[*]}"
      return 1
    fi
    sleep 2
  done
  for service in "${UP[@]}"; do pass "$service: healthy by its own healthcheck"; done
}

# GET PATH from inside a service's container (logger and authentication
# publish no port in compose).
service_get() { # service path
  podman exec "$(container "$1-service")" curl -sS -m 5 "http://127.0.0.1:80$2"
}

scraped() { # jobs: Prometheus reports that many targets, every one up
  curl -sS -m 5 "http://127.0.0.1:$PROMETHEUS_HOST_PORT/api/v1/targets" 2>/dev/null | python3 -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if len(targets) == int(sys.argv[1]) and all(t["health"] == "up" for t in targets) else 1)' "$1"
}

compose_calls() {
  BROKER="http://localhost:$BROKER_HOST_PORT" PAGE="http://localhost:$FRONT_END_HOST_PORT"
  PAGE_ORIGIN="$PAGE" MAIL_API="http://127.0.0.1:$MAILHOG_HOST_PORT/api/v2/messages"
  FROM_ADDRESS="$(podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$(container mailer-service)" \
    | sed -n 's/^FROM_ADDRESS=//p')"
  calls
  local jobs users user
  jobs="$(grep -c 'job_name:' "$ROOT/project/observability/prometheus.yml")"
  eventually "Prometheus scrapes every service (its $jobs targets up)" 30 scraped "$jobs"
  users="$(podman exec "$(container rabbitmq)" rabbitmqctl -s list_users 2>&1 | cut -f1 | sort | tr '\n' ' ')"
  for user in broker listener logger authentication mail; do
    [[ " $users" == *" $user "* ]] || fail "RabbitMQ's users" "no $user (the definitions' secret not loaded?): $users"
  done
  [[ " $users" != *" guest "* ]] || fail "RabbitMQ's users" "guest is there: $users"
  pass "RabbitMQ's users, from the definitions secret: ${users% }"
  if podman exec "$(container mongo)" mongosh --quiet --eval "db.adminCommand('listDatabases')" >/dev/null 2>&1; then
    fail "MongoDB's login" "a command without a login was answered"
  else
    pass "MongoDB asks for a login (MONGO_INITDB_ROOT_USERNAME); the logger has one"
  fi
}

# Takes everything down (after a failure too) and shows that nothing is left.
teardown() {
  local status=$? name left
  set +e
  if ((status != 0 || ${#FAILED[@]})); then
    for name in $(podman ps -a --filter "$LABEL" --format '{{.Names}}'); do
      podman logs --tail 40 "$name" >"$STATE/$name.log" 2>&1
    done
    log "the containers' last lines are in $STATE/${PROJECT}_<service>_1.log"
  fi
  [[ -n ${UP_PID:-} ]] && kill "$UP_PID" 2>/dev/null && wait "$UP_PID" # timeout passes it on to make
  [[ -n ${HEALTH_PID:-} ]] && kill "$HEALTH_PID" 2>/dev/null
  local started=$SECONDS
  if [[ -n ${DOCKER_HOST:-} ]]; then
    make -C "$ROOT/project" down DOWN_FLAGS="-v --remove-orphans" >"$STATE/compose-down.log" 2>&1 \
      || log "make down failed (see $STATE/compose-down.log); removing by label"
  fi
  [[ -n ${API_PID:-} ]] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null
  rm -f "$SOCKET"
  podman ps -aq --filter "$LABEL" | xargs -r podman rm -f -t 2 >/dev/null 2>&1
  podman volume ls -q --filter "$LABEL" | xargs -r podman volume rm -f >/dev/null 2>&1
  podman network ls -q --filter "$LABEL" | xargs -r podman network rm -f >/dev/null 2>&1
  left="$(podman ps -aq --filter "$LABEL"; podman volume ls -q --filter "$LABEL"; podman network ls -q --filter "$LABEL")"
  if [[ -n $left ]]; then
    log "error: left behind: $(tr '\n' ' ' <<<"$left")"
    status=1
  else
    log "taken down in $((SECONDS - started)) s: no container, volume or network of $PROJECT is left"
  fi
  exit "$status"
}

main() {
  local started=$SECONDS step
  tools
  configure
  bases
  build_standins
  choose_services
  trap teardown EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_api
  move_taken_ports
  "$HERE/podman-healthchecks.sh" "$PROJECT" &
  HEALTH_PID=$!
  if up_build; then
    step=$SECONDS
    all_healthy 300 && log "every container healthy $((SECONDS - step)) s after up-build returned" && compose_calls
  fi
  if ((${#FAILED[@]})); then
    die "${#FAILED[@]} failed: $(printf '%s; ' "${FAILED[@]}")"
  fi
  log "every check passed ($((SECONDS - started)) s before the teardown)"
}

main "$@"
