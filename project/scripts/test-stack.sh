#!/usr/bin/env bash
# Tests of stack.sh's wait helpers: a dependency that never comes up must end the
# script with stack.sh's own message (the service, the port or URL, the seconds)
# and a non-zero status, not with a shell error.
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
trap 'rm -rf "$WORK"' EXIT

PASSED=0
FAILED=0

# A local port where nothing listens.
free_port() {
  local port
  for ((port = 49321; port < 49521; port++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  echo "test-stack.sh: no free port in 49321-49520" >&2
  return 1
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

# check name expected-message command...: the command must fail, say exactly the
# expected message (as stack.sh's "[stack] error: …" line) and no shell error.
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
  elif ((elapsed > 10)); then
    why="took ${elapsed}s with a timeout of 1 s"
  fi
  if [[ -z $why ]]; then
    PASSED=$((PASSED + 1))
    echo "ok    $name (status $status, ${elapsed}s)"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL  $name: $why (status $status)"
  fi
}

[[ -r $STACK_SH ]] || { echo "test-stack.sh: cannot read $STACK_SH" >&2; exit 2; }
PORT="$(free_port)"
LOGS="$WORK/stack/logs"

check "wait_for_port: nothing on :$PORT within 1 s" \
  "postgres did not listen on :$PORT within 1s (see $LOGS)" \
  wait_for_port "$PORT" postgres 1
check "wait_for_http: nothing at http://127.0.0.1:$PORT/health within 1 s" \
  "logger is not healthy at http://127.0.0.1:$PORT/health within 1s (see $LOGS/logger.log)" \
  wait_for_http "http://127.0.0.1:$PORT/health" logger 1

echo "stack.sh: $PASSED passed, $FAILED failed"
((FAILED == 0))
