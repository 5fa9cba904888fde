#!/usr/bin/env python3
"""The benchmark: drives the local stack and writes its tables into docs/benchmarks.md.

    python3 project/bench/bench.py            # or: make -C project bench

It starts the local stack in release mode (reusing running infrastructure, and
stopping afterwards only what it started), drives the broker with wrk (from
Debian) and with the comparison endpoint, calls the workers directly (without the
broker) to show the broker's own cost, samples every service's memory (RSS) and
CPU time per scenario (and the CPU time per answered request of every process
taking part: the services, RabbitMQ, NATS, the Mongo-wire server, Postgres and
wrk), measures RabbitMQ alone on the event's path (the clients crate's example
`rabbitmq_alone`: publish with confirms, consume, ack; no service), and
replaces the section between the bench markers of
docs/benchmarks.md with the table and the machine's description.

Environment: BENCH_SECONDS (per scenario, default 10), BENCH_CONNECTIONS (64),
BENCH_TELEMETRY_PAIRS (20) and BENCH_TELEMETRY_SLICE (3 s: the cost of
telemetry, from wrk taking turns between two sets of services, on and off),
BENCH_OUT (the page to write instead of docs/benchmarks.md, for a trial run),
and stack.sh's ports with stack.sh's defaults (BROKER_PORT 8080, LOGGER_PORT
8082, LOGGER_RPC_PORT 5001, MONGO_PORT 27017, RABBITMQ_PORT 5672, NATS_PORT
4222, …): the stack is started with them, and wrk, the Mongo count, the CPU
sampling and `broker compare --direct` (through the broker's own LOGGER_URL,
AUTH_RPC_ADDR, NATS_URL, … variables) follow them.
It is a measurement, not a test: nothing here fails on a missed target.
"""


import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid

import load
import stack
import tables
import telemetry
from load import CONNECTIONS, SECONDS, wrk
from stack import BROKER, LISTENER, LOGGER, SERVICES, count_logs, log, memory

PING_ROUNDS = 3
# The listener's events counter (listener/src/events.rs).
EVENTS = "flexi_listener_events_total"
# The transports of the `/handle` log rows (request/reply), in the table's order.
TRANSPORTS = ("http", "rpc", "grpc", "amqp", "nats")


def scenario(rows, cpu, name, target, run):
    """Runs one scenario, recording CPU seconds per service while it ran, and
    per answered request the CPU time of every process taking part."""
    log(f"{name} …")
    before = cpu.sample()
    started = time.monotonic()
    result = run()
    wall = time.monotonic() - started
    after = cpu.sample()
    if "after_window" in result:
        result.pop("after_window")(result)
    busiest = [b for b in sorted(((after[s] - before[s]) / wall, s) for s in before if s in SERVICES)[::-1][:2]
               if b[0] >= 0.01]
    result["cpu"] = ", ".join(f"{svc} {share * 100:.0f}%" for share, svc in busiest)
    result["cpu_us"] = load.per_request(before, after, result.get("answered", result["total"]))
    if "client" in result:  # this script's child was not wrk
        result["cpu_us"] = result["cpu_us"].replace("wrk", result.pop("client"))
    result["name"], result["target"] = name, target
    rows.append(result)
    log(f"{name}: {result}")
    return result


def main():
    if any(arg in ("-h", "--help") for arg in sys.argv[1:]):
        print(__doc__.strip())
        return
    if not shutil.which("wrk"):
        log("installing wrk from Debian")
        subprocess.run(["bash", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk"],
                       check=True)
    build_rabbitmq_alone()
    stack.with_stack(lambda: run(tables.PAGE))


def log_body(name, transport=None, bus=None):
    body = {"action": "log", "log": {"name": name, "data": "bench"}}
    if transport:
        body["transport"] = transport
    if bus:
        body["bus"] = bus
    return body


def events(name, bus=None):
    """The event (a log that names no transport) on `bus` under load, then
    waits until the listener acked as many as were answered 202. It waits on
    the listener's counter, not on MongoDB, so that counting does not cost the
    Mongo-wire server CPU inside the scenario's window; what was stored is
    counted once the window closed (`after_window`)."""
    acked_before = listener_acked(bus or "rabbitmq")
    result = wrk(f"{BROKER}/handle", log_body(name, bus=bus))
    accepted = result["total"] - result["non2xx"]
    deadline = time.monotonic() + 600
    while listener_acked(bus or "rabbitmq") - acked_before < accepted and time.monotonic() < deadline:
        time.sleep(0.2)

    def after_window(result):
        stored = count_logs(name)
        result["note"] = f"{accepted} answered 202, {stored} stored after the listener drained"

    result["after_window"] = after_window
    return result


def listener_acked(bus):
    """The listener's count of events of `bus` stored and acked."""
    with urllib.request.urlopen(f"{LISTENER}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(EVENTS + "{") and f'bus="{bus}"' in line and 'outcome="acked"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def build_rabbitmq_alone():
    """Builds the lapin program of the RabbitMQ-alone rows (the clients crate's example)."""
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "flexi-clients", "--features", "amqp",
                    "--example", "rabbitmq_alone"], cwd=stack.ROOT, check=True)


def rabbitmq_alone(ack_batch):
    """RabbitMQ alone: 64 publishers (the broker's AMQP client, with confirms), one consumer acking each
    delivery (`ack_batch` 1) or what has arrived with one `multiple` ack."""
    env = dict(os.environ, AMQP_URL=stack.BROKER_SETTINGS["AMQP_URL"])
    args = [str(stack.ROOT / "target/release/examples/rabbitmq_alone"), str(SECONDS), str(CONNECTIONS), str(ack_batch)]
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    run = json.loads(out.strip().splitlines()[-1])
    return {"rps": run["consumed"] / run["seconds"], "total": run["consumed"], "non2xx": 0,
            "errors": run["published"] - run["consumed"], "client": "lapin program",
            "note": f"{run['published']} published and confirmed, {run['consumed']} consumed and acked"}


def auth_with_root_probe():
    """`POST /` at 8 connections while logins (bcrypt) run at 8 more."""
    auth_body = {"action": "auth", "auth": {"email": "admin@example.com", "password": "verysecret"}}
    load_args = load.wrk_args(f"{BROKER}/handle", connections=8, seconds=SECONDS + 2, threads=1, latency=False)
    auth_load = subprocess.Popen(load_args, env=load.wrk_env(auth_body), stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    probe = wrk(f"{BROKER}/", None, connections=8, seconds=SECONDS, threads=1)
    auth = load.parse_wrk(auth_load.communicate()[0])
    probe["answered"] = probe["total"] + auth["total"]
    probe["note"] = f"auth meanwhile: {auth['rps']:.1f} req/s at 8 connections (bcrypt cost 12)"
    return probe


def ping_overhead():
    """`ping` at concurrency 1 through the broker and straight to the worker.
    A p50 of a fraction of a millisecond moves with what else the machine does
    (RabbitMQ most of all): three alternating rounds, the median of each side."""
    overhead = []
    for transport in ("http", "amqp", "rpc", "grpc", "nats"):
        throughs, directs = [], []
        for _ in range(PING_ROUNDS):
            throughs.append(wrk(f"{BROKER}/handle", {"action": "ping", "transport": transport},
                                connections=1, seconds=max(3, SECONDS // 3), threads=1)["p50"])
            directs.append(load.compare_direct("ping", transport)["p50_ms"])
        through, direct = statistics.median(throughs), statistics.median(directs)
        overhead.append((transport, through, direct))
        log(f"ping {transport}: through broker p50 {throughs} ms, direct {directs} ms")
    return overhead


def run(page):
    time.sleep(2)
    idle = memory()
    rows = []
    tag = uuid.uuid4().hex[:8]
    cpu = load.ProcessCpu()
    log(f"processes sampled for CPU per request: {cpu.groups}")

    scenario(rows, cpu, "`POST /` (Hit the broker)", "≥ 110k req/s", lambda: wrk(f"{BROKER}/", None))
    scenario(rows, cpu, "`/handle` log, no transport (AMQP event)", "≥ 5k req/s; every 202 stored",
             lambda: events(f"bench-event-{tag}"))
    for ack_batch, acks in ((1, "each acked"), (64, "acked with `multiple`, up to 64 at once")):
        scenario(rows, cpu, f"RabbitMQ alone: the event published with confirms, consumed, {acks}",
                 "(the ceiling here)", lambda b=ack_batch: rabbitmq_alone(b))
    scenario(rows, cpu, '`/handle` log, no transport, `"bus":"nats"` (NATS event)', "every 202 stored",
             lambda: events(f"bench-nats-event-{tag}", bus="nats"))
    for transport in TRANSPORTS:
        target = "≥ 3k req/s" if transport in ("http", "rpc", "grpc") else "(request/reply; no target)"
        scenario(rows, cpu, f"`/handle` log over {transport}", target,
                 lambda t=transport: wrk(f"{BROKER}/handle", log_body(f"bench-{t}-{tag}", t)))
    scenario(rows, cpu, "`/log-gRPC`", "(Go: 1.7k)", lambda: wrk(f"{BROKER}/log-gRPC", log_body(f"bench-lg-{tag}")))
    scenario(rows, cpu, "logger `POST /log` direct", "(Go: 2.3k)",
             lambda: wrk(f"{LOGGER}/log", {"name": f"bench-direct-{tag}", "data": "bench"}))
    scenario(rows, cpu, "`POST /` while auth runs at full load", "p99 < 10 ms", auth_with_root_probe)

    overhead = ping_overhead()
    time.sleep(10)
    after = memory()
    cost = telemetry.telemetry_cost(tag)
    tables.write_bench(page, rows, overhead, idle, after, cost,
                       host=tables.machine(CONNECTIONS, SECONDS), services=SERVICES,
                       ping_rounds=PING_ROUNDS, telemetry_pairs=telemetry.TELEMETRY_PAIRS,
                       telemetry_slice=telemetry.TELEMETRY_SLICE, log=log)


if __name__ == "__main__":
    main()
