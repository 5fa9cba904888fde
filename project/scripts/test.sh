#!/usr/bin/env bash
# Every test and check of the repository, against real dependencies.
#
# Starts what is missing of Postgres, RabbitMQ, NATS (JetStream), the Mongo-wire
# server and the SMTP catcher (and stops afterwards only what it started),
# installs what the browser test needs (Debian's chromium, playwright-core) and what the checks of
# the deployment files and of stack.sh's Prometheus need (Debian's caddy,
# docker-compose, docker client and prometheus; schemathesis), then: stack.sh's
# own test (test-stack.sh), the documentation's links and make targets
# (check-docs.py), rustfmt, clippy with warnings as errors, the whole
# workspace's tests with cargo-nextest (installed when missing), the browser
# test and the documentation's environment variables among them, the six
# images built from project/Dockerfile and run (containers.sh check), and
# project/docker-compose.yml brought up with `make up-build` through podman's
# Docker API, every path checked through it, and taken down (compose-check.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export STACK_DIR="${TEST_STACK_DIR:-$ROOT/.stack/test}"
export MONGO_PORT="${TEST_MONGO_PORT:-27017}"
export TEST_MONGO_URL="${TEST_MONGO_URL:-mongodb://127.0.0.1:$MONGO_PORT}"
export TEST_AMQP_URL="${TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
export NATS_PORT="${TEST_NATS_PORT:-4222}"
export TEST_NATS_URL="${TEST_NATS_URL:-nats://127.0.0.1:$NATS_PORT}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres:password@127.0.0.1:5432}"
export SMTP_PORT="${TEST_SMTP_PORT:-1025}" MAILDEV_PORT="${TEST_MAILDEV_PORT:-1080}"
export TEST_SMTP_ADDR="${TEST_SMTP_ADDR:-127.0.0.1:$SMTP_PORT}"
export TEST_MAILDEV_URL="${TEST_MAILDEV_URL:-http://127.0.0.1:$MAILDEV_PORT}"

cd "$ROOT"
# One build per run: incremental compilation's caches would only take disk
# (several GiB for this workspace).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
echo "== disk: $(df -h --output=avail "$ROOT" | tail -1 | tr -d ' ') free where the build goes (it takes about 3 GiB)"
trap '"$ROOT/project/scripts/stack.sh" infra-down' EXIT
"$ROOT/project/scripts/stack.sh" infra
"$ROOT/project/scripts/stack.sh" browser
"$ROOT/project/scripts/stack.sh" deploy-tools

echo "== stack.sh"
"$ROOT/project/scripts/test-stack.sh"

echo "== docs"
# Every relative link and make target named in README.md and docs/ exists (the
# environment variables are checked by system-tests' docs.rs, with the tests).
python3 "$ROOT/project/scripts/check-docs.py"

echo "== rustfmt"
cargo fmt --all --check
echo "== clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== tests"
# One process per test: the trace tests install the process's tracing
# subscriber, exporting to a receiver of their own (testkit::Collector).
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest from crates.io"
  cargo install cargo-nextest --locked --quiet
fi
cargo nextest run --workspace --no-fail-fast

echo "== containers"
# project/Dockerfile's six images built with podman and run against the same
# infrastructure (the first run also makes the base images: docs/deploy.md).
"$ROOT/project/scripts/containers.sh" check

echo "== compose"
# project/docker-compose.yml up through podman's Docker API with stand-ins for the
# infrastructure images (docs/deploy.md); compose's build reuses the
# layers the containers step just built.
"$ROOT/project/scripts/compose-check.sh"
