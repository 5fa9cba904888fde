#!/usr/bin/env bash
# The cost of tracing and metrics in instructions, not seconds: callgrind counts
# what the broker executes per `POST /` and per `/handle` log call over gRPC, and
# the logger per gRPC log call, with telemetry off (OTEL_SDK_DISABLED=true
# METRICS_DISABLED=true), each half alone, and both on (the default).
# Unlike req/s, the count is the same from run to run whatever else the machine
# does, so it shows a change of a few per cent that wrk's noise hides.
#
#   project/bench/instructions.sh [calls]     (default 1000, after 50 unmeasured)
#
# Needs valgrind, the release binaries (cargo build --release --bins; BIN=dir
# measures the broker and logger binaries in dir instead: a tree before a change) and the
# infrastructure of the local stack (stack.sh infra: RabbitMQ, the Mongo-wire
# server); AMQP_URL and MONGO_URL say where, the defaults are stack.sh's. The
# broker and the logger run on ports of their own (18080…), one HTTP worker each,
# and one keep-alive connection drives them. Prints a Markdown table; KEEP=dir
# keeps each run's callgrind file there (callgrind_annotate shows where the
# instructions went; ROWS=logger, ROWS=broker or ROWS=post measures one row).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$ROOT/target/release}"
CALLS="${1:-1000}"
AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
MONGO_URL="${MONGO_URL:-mongodb://127.0.0.1:27017}"
WORK="$(mktemp -d)"
ROWS="${ROWS:-post broker logger}"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

drive() { # path(/|/handle) calls: POST to the broker on one connection
  python3 - "$1" "$2" <<'PY'
import http.client, json, sys
path, calls = sys.argv[1], int(sys.argv[2])
body = json.dumps({"action": "log", "transport": "grpc", "log": {"name": "instructions", "data": "x"}})
expected = 202 if path == "/handle" else 200
connection = http.client.HTTPConnection("127.0.0.1", 18080)
for _ in range(calls):
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    if answer.status != expected:
        sys.exit(f"{path} answered {answer.status}")
PY
}

measure() { # process(broker|logger) path mode(off|tracing|metrics|on) -> instructions per call
  local process=$1 path=$2 mode=$3 env=() out="$WORK/$1${2//\//-}-$3.out" grind_broker=() grind_logger=()
  case $mode in
    off) env=(OTEL_SDK_DISABLED=true METRICS_DISABLED=true) ;;
    tracing) env=(METRICS_DISABLED=true) ;;
    metrics) env=(OTEL_SDK_DISABLED=true) ;;
  esac
  local grind=(valgrind --tool=callgrind "--callgrind-out-file=$out")
  if [[ $process == broker ]]; then grind_broker=("${grind[@]}"); else grind_logger=("${grind[@]}"); fi
  env "${env[@]}" HTTP_ADDR=127.0.0.1:18082 RPC_ADDR=127.0.0.1:15001 GRPC_ADDR=127.0.0.1:15051 \
    AMQP_URL="$AMQP_URL" MONGO_URL="$MONGO_URL" "${grind_logger[@]}" "$BIN/logger" >"$WORK/logger.log" 2>&1 &
  local logger=$!
  env "${env[@]}" HTTP_WORKERS=1 HTTP_ADDR=127.0.0.1:18080 AMQP_URL="$AMQP_URL" \
    LOGGER_URL=http://127.0.0.1:18082 LOGGER_RPC_ADDR=127.0.0.1:15001 LOGGER_GRPC_URL=http://127.0.0.1:15051 \
    "${grind_broker[@]}" "$BIN/broker" >"$WORK/broker.log" 2>&1 &
  local broker=$!
  local i
  for i in $(seq 120); do
    curl -sf http://127.0.0.1:18080/ping >/dev/null && curl -sf http://127.0.0.1:18082/health >/dev/null && break
    sleep 1
  done
  drive "$path" 50
  local target=$logger
  [[ $process == broker ]] && target=$broker
  callgrind_control -z "$target" >/dev/null 2>&1
  drive "$path" "$CALLS"
  callgrind_control -d measured "$target" >/dev/null 2>&1
  kill "$broker" "$logger"
  wait "$broker" "$logger" 2>/dev/null || true
  local total
  total=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
  if [[ -n ${KEEP:-} ]]; then mkdir -p "$KEEP" && cp "$out.1" "$KEEP/$1${2//\//-}-$3.callgrind"; fi
  echo $((total / CALLS))
}

echo "| process, per call | telemetry off | tracing only | metrics only | both on | change |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
row() { # name process path
  local off tracing metrics on
  off=$(measure "$2" "$3" off)
  tracing=$(measure "$2" "$3" tracing)
  metrics=$(measure "$2" "$3" metrics)
  on=$(measure "$2" "$3" on)
  awk -v name="$1" -v off="$off" -v t="$tracing" -v m="$metrics" -v on="$on" 'BEGIN {
    printf "| %s | %.1f k | %.1f k | %.1f k | %.1f k | %+.1f %% |\n", name, off / 1000, t / 1000, m / 1000, on / 1000, (on - off) * 100 / off }'
}
for one in $ROWS; do
  case $one in
    post) row "broker, \`POST /\`" broker / ;;
    broker) row "broker, \`/handle\` log over gRPC" broker /handle ;;
    logger) row "logger, its gRPC log call" logger /handle ;;
    *) echo "instructions.sh: ROWS names post, broker or logger, not $one" >&2; exit 2 ;;
  esac
done
