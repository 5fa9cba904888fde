#!/usr/bin/env bash
# Tests of stack.sh's wait helpers: a dependency that never comes up must end the
# script with stack.sh's own message (the service, the port or URL, the seconds)
# and a non-zero status, not with a shell error. And of its Prometheus: the
# generated scrape configuration lists every service's port with the jobs of
# project/observability/prometheus.yml (and promtool accepts it), a job without a
# local port is refused, and the Prometheus the stack starts reports every
# target up, or names the one that is not (six fake services on free ports; the
# test command installs Debian's prometheus first, `stack.sh deploy-tools`). And
# its apt_get waits for another apt-get's lock instead of failing on it.
#
#   test-stack.sh        tests project/scripts/stack.sh
#   STACK_SH=/path/to/stack.sh test-stack.sh   tests another copy of it
#
# Every case sources stack.sh in a fresh bash and calls its real functions with
# a port where nothing listens and a timeout of 1 s. It prints one line per case
# and ends with "stack.sh: N passed, M failed"; the status is non-zero when a
# case failed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STACK_SH="${STACK_SH:-$HERE/stack.sh}"
[[ $STACK_SH == /* ]] || STACK_SH="$PWD/$STACK_SH"
WORK="$(mktemp -d)"
FAKE_PIDS=()
cleanup() {
  local pid
  for pid in "${FAKE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ -f $WORK/stack/pids/prometheus.pid ]]; then kill "$(cat "$WORK/stack/pids/prometheus.pid")" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PASSED=0
FAILED=0

# Local ports that can be listened on (one unless a count is given), distinct,
# from below the ephemeral range (free-ports.py says why).
free_port() { # [count]
  python3 "$HERE/free-ports.py" "${1:-1}"
}

# Sources stack.sh in a fresh bash (under its own `set -euo pipefail`) and runs
# the given command there; prints its output (stdout and stderr) and its status
# as the last line. `status` is passed to the sourcing so that a copy of
# stack.sh without the source guard runs only its harmless status report (whose
# output is discarded) before the functions are called.
in_stack() { # command...
  local status=0 output
  output="$(STACK_DIR="$WORK/stack" timeout 30 bash -c '
    source "$1" status >/dev/null 2>&1
    shift
    "$@"
  ' in-stack "$STACK_SH" "$@" 2>&1)" || status=$?
  printf '%s\n%s\n' "$output" "$status"
}

# A fake service: a one-line Prometheus text at /metrics on the given port,
# until the test ends.
fake_metrics() { # port
  python3 -c '
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class Metrics(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"fake_requests_total 1\n"
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Metrics).serve_forever()' "$1" &
  FAKE_PIDS+=($!)
  local i
  for ((i = 0; i < 40; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.25; done
  echo "test-stack.sh: the fake service on :$1 did not start" >&2
  return 1
}

pass() { PASSED=$((PASSED + 1)); echo "ok    $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL  $1: $2"; }

# check_ok name command...: the command must succeed, with no shell error.
check_ok() {
  local name=$1; shift
  local result status output
  result="$(in_stack "$@")"
  status="${result##*$'\n'}"
  output="${result%$'\n'*}"
  if [[ $status != 0 ]]; then
    fail "$name" "status $status: ${output//$'\n'/ | }"
  elif grep -q "unbound variable" <<<"$output"; then
    fail "$name" "shell error: $(grep -m1 "unbound variable" <<<"$output")"
  else
    pass "$name"
  fi
}

# check name expected-message command...: the command must fail, say exactly the
# expected message (as stack.sh's "[stack] error: …" line) and no shell error,
# within MAX_SECONDS (default 10).
check() {
  local name=$1 expected="[stack] error: $2"; shift 2
  local result status output started elapsed why=""
  started=$SECONDS
  result="$(in_stack "$@")"
  elapsed=$((SECONDS - started))
  status="${result##*$'\n'}"
  output="${result%$'\n'*}"
  if [[ $status == 0 ]]; then
    why="exited 0"
  elif grep -q "unbound variable" <<<"$output"; then
    why="shell error: $(grep -m1 "unbound variable" <<<"$output")"
  elif ! grep -qxF -- "$expected" <<<"$output"; then
    why="no line \"$expected\" in: ${output//$'\n'/ | }"
  elif ((elapsed > ${MAX_SECONDS:-10})); then
    why="took ${elapsed}s, more than ${MAX_SECONDS:-10}s"
  fi
  if [[ -z $why ]]; then
    pass "$name (status $status, ${elapsed}s)"
  else
    fail "$name" "$why (status $status)"
  fi
}

[[ -r $STACK_SH ]] || { echo "test-stack.sh: cannot read $STACK_SH" >&2; exit 2; }

# --- free ports ----------------------------------------------------------------

# A port held by a connection (as an outgoing connection's source port holds
# one) answers nobody, yet nothing can listen on it: free_port skips it.
HELD="$(free_port)"
python3 -c '
import socket, sys, time
server = socket.create_server(("127.0.0.1", 0))
held = socket.socket()
held.bind(("127.0.0.1", int(sys.argv[1])))
held.connect(server.getsockname())
print("held", flush=True)
time.sleep(60)' "$HELD" >"$WORK/held.out" &
FAKE_PIDS+=($!)
for ((i = 0; i < 40; i++)); do [[ -s $WORK/held.out ]] && break; sleep 0.25; done
got="$(free_port 2)"
if [[ ! -s $WORK/held.out ]]; then
  fail "free_port: skips a port held by a connection" "the holder did not start"
elif [[ $'\n'$got$'\n' == *$'\n'$HELD$'\n'* ]] || (($(wc -l <<<"$got") != 2)); then
  fail "free_port: skips a port held by a connection" "held :$HELD, got ${got//$'\n'/ }"
else
  pass "free_port: skips a port held by a connection"
fi

# --- wait_for_* ----------------------------------------------------------------
PORT="$(free_port)"
LOGS="$WORK/stack/logs"

check "wait_for_port: nothing on :$PORT within 1 s" \
  "postgres did not listen on :$PORT within 1s (see $LOGS)" \
  wait_for_port "$PORT" postgres 1
check "wait_for_http: nothing at http://127.0.0.1:$PORT/health within 1 s" \
  "logger is not healthy at http://127.0.0.1:$PORT/health within 1s (see $LOGS/logger.log)" \
  wait_for_http "http://127.0.0.1:$PORT/health" logger 1
PROMETHEUS_PORT="$PORT" check "wait_for_targets: no Prometheus on :$PORT within 1 s" \
  "prometheus: no targets from :$PORT within 1s (see $LOGS/prometheus.log)" \
  wait_for_targets 1

# --- Prometheus ---------------------------------------------------------------

# Six services on distinct ports (fake ones below), Prometheus on another.
read -r -d '' BROKER_PORT LOGGER_PORT AUTH_PORT MAIL_PORT LISTENER_PORT FRONT_END_PORT PROMETHEUS_PORT \
  < <(free_port 7 && printf '\0') || true
export BROKER_PORT LOGGER_PORT AUTH_PORT MAIL_PORT LISTENER_PORT FRONT_END_PORT PROMETHEUS_PORT
SERVICE_PORTS=("$BROKER_PORT" "$LOGGER_PORT" "$AUTH_PORT" "$MAIL_PORT" "$LISTENER_PORT" "$FRONT_END_PORT")
SHARED="$(cd "$HERE/../observability" && pwd)/prometheus.yml"
export SCRAPE_CONFIG="$SHARED" # also for a copy of stack.sh elsewhere
GENERATED="$WORK/stack/prometheus.yml"

name="prometheus_config: every service's port, under the jobs of project/observability/prometheus.yml"
check_ok "$name" prometheus_config "$GENERATED"
if [[ -f $GENERATED ]]; then
  why=""
  for port in "${SERVICE_PORTS[@]}"; do
    grep -q -- "- targets: \[\"127.0.0.1:$port\"\]" "$GENERATED" || why+="no target 127.0.0.1:$port; "
  done
  job_names() { grep -o 'job_name: .*' "$1" | sort; }
  [[ "$(job_names "$GENERATED")" == "$(job_names "$SHARED")" ]] || why+="jobs $(job_names "$GENERATED" | paste -sd,) vs $(job_names "$SHARED" | paste -sd,); "
  if ! command -v promtool >/dev/null; then
    why+="no promtool (stack.sh deploy-tools installs Debian's prometheus); "
  elif ! promtool check config "$GENERATED" >"$WORK/promtool.out" 2>&1; then
    why+="promtool: $(tr '\n' ' ' <"$WORK/promtool.out")"
  fi
  if [[ -z $why ]]; then pass "$name: the file as generated"; else fail "$name: the file as generated" "$why"; fi
fi

EXTRA="$WORK/extra.yml"
{ cat "$SHARED"; printf '  - job_name: caddy\n    static_configs:\n      - targets: ["caddy:80"]\n'; } >"$EXTRA"
SCRAPE_CONFIG="$EXTRA" check "prometheus_config: a scrape job without a local port" \
  "prometheus: no local port for the scrape job caddy in $EXTRA" \
  prometheus_config "$WORK/unused.yml"

if ! command -v prometheus >/dev/null || ! command -v python3 >/dev/null; then
  fail "start_prometheus" "needs Debian's prometheus and python3 (stack.sh deploy-tools installs prometheus)"
else
  # Every service but the front-end serves /metrics: Prometheus starts, scrapes
  # each target within its 5 s interval (its first scrapes are spread over the
  # interval, and a loaded machine delays its start: 20 s leaves room), and
  # wait_for_targets names the front-end.
  for port in "${SERVICE_PORTS[@]:0:5}"; do fake_metrics "$port"; done
  MAX_SECONDS=40 check "start_prometheus, wait_for_targets: the front-end's /metrics is not served" \
    "prometheus: targets not up within 20s: front-end (see http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets)" \
    eval 'start_prometheus && wait_for_targets 20'
  # Then it is, and every target is up, one per service port.
  fake_metrics "$FRONT_END_PORT"
  check_ok "wait_for_targets: every target up" wait_for_targets 20
  targets="$(in_stack prometheus_targets)"
  why=""
  for port in "${SERVICE_PORTS[@]}"; do
    grep -q "^up [a-z-]* http://127.0.0.1:$port/metrics " <<<"$targets" || why+="no target up at :$port; "
  done
  (($(grep -c '^up ' <<<"$targets") == 6)) || why+="targets: ${targets//$'\n'/ | }"
  if [[ -z $why ]]; then pass "prometheus_targets: the six services' /metrics"; else fail "prometheus_targets: the six services' /metrics" "$why"; fi
  in_stack stop_pid prometheus >/dev/null
  # Something already listens on PROMETHEUS_PORT: it is reused, nothing started.
  reused="$(PROMETHEUS_PORT="$BROKER_PORT" in_stack start_prometheus)"
  if [[ ${reused##*$'\n'} == 0 && $reused == *"prometheus: reusing :$BROKER_PORT"* && ! -f $WORK/stack/pids/prometheus.pid ]]; then
    pass "start_prometheus: reuses what listens on PROMETHEUS_PORT"
  else
    fail "start_prometheus: reuses what listens on PROMETHEUS_PORT" "${reused//$'\n'/ | }"
  fi
fi

# apt_get waits for another apt-get or dpkg to let go of its lock (`make local`
# beside `make test`, both installing), for `install` and for `update`: a
# process of the test holds the lock for 3 s. Only as root with apt-get, as
# stack.sh installs; `install` asks for a package that is there (nothing changes).
# (A stack.sh without apt_get fails these cases with "command not found".)
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  for lock in /var/lib/dpkg/lock-frontend:install /var/lib/apt/lists/lock:update; do
    file=${lock%%:*} command=${lock##*:}
    rm -f "$WORK/locked"
    python3 -c '
import fcntl, sys, time
with open(sys.argv[1], "a") as lock:
    fcntl.lockf(lock, fcntl.LOCK_EX)
    open(sys.argv[2], "w").close()
    time.sleep(3)' "$file" "$WORK/locked" &
    holder=$!
    for ((i = 0; i < 40; i++)); do [[ -e $WORK/locked ]] && break; sleep 0.25; done
    args=(install -y -qq bash)
    [[ $command == update ]] && args=(update -qq)
    waited="$(in_stack apt_get "${args[@]}")"
    wait "$holder" || true
    # Without waiting, apt-get fails at once: "Could not get lock".
    if [[ ${waited##*$'\n'} == 0 ]]; then
      pass "apt_get $command: waits while $file is held"
    else
      fail "apt_get $command: waits while $file is held" "${waited//$'\n'/ | }"
    fi
  done
fi

echo "stack.sh: $PASSED passed, $FAILED failed"
((FAILED == 0))
