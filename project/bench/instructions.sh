#!/usr/bin/env bash
# The cost of tracing and metrics in instructions, not seconds: callgrind counts
# what the broker and the logger execute per `/handle` log call over gRPC, with
# telemetry on (the default) and off (OTEL_SDK_DISABLED=true METRICS_DISABLED=true).
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
# and one keep-alive connection drives them. Prints a Markdown table.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$ROOT/target/release}"
CALLS="${1:-1000}"
AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
MONGO_URL="${MONGO_URL:-mongodb://127.0.0.1:27017}"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

drive() { # calls: POST /handle log over gRPC on one connection
  python3 - "$1" <<'PY'
import http.client, json, sys
body = json.dumps({"action": "log", "transport": "grpc", "log": {"name": "instructions", "data": "x"}})
connection = http.client.HTTPConnection("127.0.0.1", 18080)
for _ in range(int(sys.argv[1])):
    connection.request("POST", "/handle", body=body, headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    if answer.status != 202:
        sys.exit(f"/handle answered {answer.status}")
PY
}

measure() { # process(broker|logger) mode(on|off) -> instructions per call
  local process=$1 mode=$2 env=() out="$WORK/$1-$2.out" grind_broker=() grind_logger=()
  [[ $mode == off ]] && env=(OTEL_SDK_DISABLED=true METRICS_DISABLED=true)
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
  drive 50
  local target=$logger
  [[ $process == broker ]] && target=$broker
  callgrind_control -z "$target" >/dev/null 2>&1
  drive "$CALLS"
  callgrind_control -d measured "$target" >/dev/null 2>&1
  kill "$broker" "$logger"
  wait "$broker" "$logger" 2>/dev/null || true
  local total
  total=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
  echo $((total / CALLS))
}

echo "| process, per \`/handle\` log over gRPC | telemetry off | on | change |"
echo "| --- | ---: | ---: | ---: |"
for process in broker logger; do
  off=$(measure "$process" off)
  on=$(measure "$process" on)
  awk -v p="$process" -v off="$off" -v on="$on" \
    'BEGIN { printf "| %s | %.1f k | %.1f k | %+.1f %% |\n", p, off / 1000, on / 1000, (on - off) * 100 / off }'
done
