#!/usr/bin/env python3
"""The benchmark: drives the local stack and writes its tables into docs/benchmarks.md.

    python3 project/bench/bench.py            # or: make -C project bench

It starts the local stack in release mode (reusing running infrastructure, and
stopping afterwards only what it started), drives the broker with wrk (from
Debian) and with the comparison endpoint, calls the workers directly (without the
broker) to show the broker's own cost, samples every service's memory (RSS) and
CPU time per scenario, and replaces the section between the bench markers of
docs/benchmarks.md with the table and the machine's description.

Environment: BENCH_SECONDS (per scenario, default 10), BENCH_CONNECTIONS (64),
BENCH_TELEMETRY_PAIRS (20) and BENCH_TELEMETRY_SLICE (3 s: the cost of
telemetry, from wrk taking turns between two sets of services, on and off),
and stack.sh's ports with stack.sh's defaults (BROKER_PORT 8080, LOGGER_PORT
8082, LOGGER_RPC_PORT 5001, MONGO_PORT 27017, RABBITMQ_PORT 5672, …): the stack
is started with them, and wrk, the Mongo count and `broker compare --direct`
(through the broker's own LOGGER_URL, AUTH_RPC_ADDR, … variables) follow them.
It is a measurement, not a test: nothing here fails on a missed target.
"""

import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import tables

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "project/scripts/stack.sh"
LUA = ROOT / "project/bench/post.lua"
BROKER_BIN = ROOT / "target/release/broker"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
STACK_DIR = ROOT / ".stack/bench"

# The ports of project/scripts/stack.sh: the same variables, the same defaults
# (an empty value means the default, as with stack.sh's ${VAR:-default}).
PORT_DEFAULTS = {
    "POSTGRES_PORT": 5432, "RABBITMQ_PORT": 5672, "MONGO_PORT": 27017,
    "SMTP_PORT": 1025, "MAILDEV_PORT": 1080,
    "BROKER_PORT": 8080, "FRONT_END_PORT": 8081, "LISTENER_PORT": 8085,
    "LOGGER_PORT": 8082, "LOGGER_RPC_PORT": 5001, "LOGGER_GRPC_PORT": 50001,
    "AUTH_PORT": 8083, "AUTH_RPC_PORT": 5002, "AUTH_GRPC_PORT": 50002,
    "MAIL_PORT": 8084, "MAIL_RPC_PORT": 5003, "MAIL_GRPC_PORT": 50003,
}


def port(name):
    value = os.environ.get(name) or str(PORT_DEFAULTS[name])
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"[bench] {name}={value!r} is not a port")
    return int(value)


PORTS = {name: port(name) for name in PORT_DEFAULTS}
# stack.sh up/down: the ports passed on explicitly, so the stack and this script agree.
ENV = dict(os.environ, STACK_DIR=str(STACK_DIR), PROFILE="release",
           **{name: str(value) for name, value in PORTS.items()})
BROKER = f"http://127.0.0.1:{PORTS['BROKER_PORT']}"
LOGGER = f"http://127.0.0.1:{PORTS['LOGGER_PORT']}"
MONGO = f"mongodb://127.0.0.1:{PORTS['MONGO_PORT']}"
# `broker compare --direct` reads the broker's own settings (broker/src/settings.rs,
# runtime's AMQP_URL): the same values stack.sh gives the broker it starts.
BROKER_SETTINGS = {
    "BROKER_URL": BROKER,
    "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{PORTS['RABBITMQ_PORT']}/%2f",
    "LOGGER_URL": LOGGER,
    "LOGGER_RPC_ADDR": f"127.0.0.1:{PORTS['LOGGER_RPC_PORT']}",
    "LOGGER_GRPC_URL": f"http://127.0.0.1:{PORTS['LOGGER_GRPC_PORT']}",
    "AUTH_URL": f"http://127.0.0.1:{PORTS['AUTH_PORT']}",
    "AUTH_RPC_ADDR": f"127.0.0.1:{PORTS['AUTH_RPC_PORT']}",
    "AUTH_GRPC_URL": f"http://127.0.0.1:{PORTS['AUTH_GRPC_PORT']}",
    "MAIL_URL": f"http://127.0.0.1:{PORTS['MAIL_PORT']}",
    "MAIL_RPC_ADDR": f"127.0.0.1:{PORTS['MAIL_RPC_PORT']}",
    "MAIL_GRPC_URL": f"http://127.0.0.1:{PORTS['MAIL_GRPC_PORT']}",
}
DIRECT_ENV = dict(os.environ, **BROKER_SETTINGS)
SERVICES = ["broker", "logger", "authentication", "mail", "listener", "front-end"]
PING_ROUNDS = 3


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pids():
    found = {}
    for name in SERVICES:
        pid_file = STACK_DIR / "pids" / f"{name}.pid"
        if pid_file.exists():
            found[name] = int(pid_file.read_text().strip())
    return found


def rss_mib(pid):
    """Resident memory in MiB: the total, and its anonymous part (heap and stacks;
    the rest is the binary's and the C library's pages)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("RssAnon", 0.0)


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wrk(url, body=None, connections=CONNECTIONS, seconds=SECONDS, threads=2):
    """Runs wrk; returns requests/s, total, non-2xx count and latency percentiles (ms)."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), url]
    env = dict(os.environ, BODY=json.dumps(body) if body is not None else "")
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "total": int(re.search(r"(\d+) requests in", out).group(1)),
              "non2xx": 0, "errors": 0}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        result["non2xx"] = int(non2xx.group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        result["errors"] = sum(int(n) for n in socket_errors.groups())
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[f"p{pct}"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return result


def count_logs(name):
    code = ("import pymongo,sys; c=pymongo.MongoClient(sys.argv[1]);"
            "print(c.logs.logs.count_documents({'name': sys.argv[2]}))")
    out = subprocess.run([sys.executable, "-c", code, MONGO, name], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def compare_direct(action, transport, requests=2000, concurrency=1):
    args = [str(BROKER_BIN), "compare", "--direct", "--json", "--action", action,
            "--requests", str(requests), "--concurrency", str(concurrency), "--transports", transport]
    out = subprocess.run(args, env=DIRECT_ENV, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["results"][0]


def scenario(rows, name, target, run):
    """Runs one scenario, recording CPU seconds per service while it ran."""
    log(f"{name} …")
    before = {svc: cpu_seconds(pid) for svc, pid in pids().items()}
    started = time.monotonic()
    result = run()
    wall = time.monotonic() - started
    after = {svc: cpu_seconds(pid) for svc, pid in pids().items()}
    busiest = [b for b in sorted(((after[s] - before[s]) / wall, s) for s in before)[::-1][:2] if b[0] >= 0.01]
    result["cpu"] = ", ".join(f"{svc} {share * 100:.0f}%" for share, svc in busiest)
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
    subprocess.run([str(STACK), "up"], env=ENV, check=True)
    try:
        run(tables.PAGE)
    finally:
        subprocess.run([str(STACK), "down"], env=ENV, check=False)


def run(page):
    time.sleep(2)
    idle = {svc: rss_mib(pid) for svc, pid in pids().items()}
    rows = []
    tag = uuid.uuid4().hex[:8]

    def log_body(name, transport=None):
        body = {"action": "log", "log": {"name": name, "data": "bench"}}
        if transport:
            body["transport"] = transport
        return body

    scenario(rows, "`POST /` (Hit the broker)", "≥ 110k req/s", lambda: wrk(f"{BROKER}/", None))

    event_name = f"bench-event-{tag}"

    def events():
        result = wrk(f"{BROKER}/handle", log_body(event_name))
        accepted = result["total"] - result["non2xx"]
        deadline = time.monotonic() + 600
        stored = count_logs(event_name)
        while stored < accepted and time.monotonic() < deadline:
            time.sleep(1)
            stored = count_logs(event_name)
        result["note"] = f"{accepted} answered 202, {stored} stored after the listener drained"
        return result

    scenario(rows, "`/handle` log, no transport (AMQP event)", "≥ 5k req/s; every 202 stored", events)
    for transport in ("http", "rpc", "grpc", "amqp"):
        target = "≥ 3k req/s" if transport != "amqp" else "(request/reply; no target)"
        scenario(rows, f"`/handle` log over {transport}", target,
                 lambda t=transport: wrk(f"{BROKER}/handle", log_body(f"bench-{t}-{tag}", t)))
    scenario(rows, "`/log-gRPC`", "(Go: 1.7k)", lambda: wrk(f"{BROKER}/log-gRPC", log_body(f"bench-lg-{tag}")))
    scenario(rows, "logger `POST /log` direct", "(Go: 2.3k)",
             lambda: wrk(f"{LOGGER}/log", {"name": f"bench-direct-{tag}", "data": "bench"}))

    def auth_with_root_probe():
        auth_body = {"action": "auth", "auth": {"email": "admin@example.com", "password": "verysecret"}}
        env = dict(os.environ, BODY=json.dumps(auth_body))
        load = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{SECONDS + 2}s", "-s", str(LUA), f"{BROKER}/handle"],
                                env=env, stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        probe = wrk(f"{BROKER}/", None, connections=8, seconds=SECONDS, threads=1)
        out = load.communicate()[0]
        auth_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        probe["note"] = f"auth meanwhile: {auth_rps:.1f} req/s at 8 connections (bcrypt cost 12)"
        return probe

    scenario(rows, "`POST /` while auth runs at full load", "p99 < 10 ms", auth_with_root_probe)

    # A p50 of a fraction of a millisecond moves with what else the machine does
    # (RabbitMQ most of all): three alternating rounds, the median of each side.
    overhead = []
    for transport in ("http", "amqp", "rpc", "grpc"):
        throughs, directs = [], []
        for _ in range(PING_ROUNDS):
            throughs.append(wrk(f"{BROKER}/handle", {"action": "ping", "transport": transport},
                                connections=1, seconds=max(3, SECONDS // 3), threads=1)["p50"])
            directs.append(compare_direct("ping", transport)["p50_ms"])
        through, direct = statistics.median(throughs), statistics.median(directs)
        overhead.append((transport, through, direct))
        log(f"ping {transport}: through broker p50 {throughs} ms, direct {directs} ms")

    time.sleep(10)
    after = {svc: rss_mib(pid) for svc, pid in pids().items()}
    telemetry = telemetry_cost(tag)
    tables.write_bench(page, rows, overhead, idle, after, telemetry,
                       host=tables.machine(CONNECTIONS, SECONDS), services=SERVICES,
                       ping_rounds=PING_ROUNDS, telemetry_pairs=TELEMETRY_PAIRS,
                       telemetry_slice=TELEMETRY_SLICE, log=log)


# What turns tracing (the OpenTelemetry SDK's standard switch) and metrics off.
TELEMETRY_OFF = {"OTEL_SDK_DISABLED": "true", "METRICS_DISABLED": "true"}
# Pairs of wrk slices (one per side) per scenario, and a slice's length. This
# machine's speed drifts by more than 5 % over tens of seconds (every process's
# CPU per request moves together, wrk's and the Mongo server's too), so the two
# sides take turns every few seconds and each pair is compared on its own.
TELEMETRY_PAIRS = int(os.environ.get("BENCH_TELEMETRY_PAIRS", "20"))
TELEMETRY_SLICE = int(os.environ.get("BENCH_TELEMETRY_SLICE", "3"))
# The second set of services (telemetry off) runs beside the bench stack's on
# ports of its own, with its own state folder and AMQP names, on the same
# infrastructure and binaries.
OFF_STACK_DIR = ROOT / ".stack/bench-off"
SERVICE_PORTS = [name for name in PORT_DEFAULTS
                 if name not in ("POSTGRES_PORT", "RABBITMQ_PORT", "MONGO_PORT", "SMTP_PORT", "MAILDEV_PORT")]


def off_stack_env():
    free = subprocess.run([sys.executable, str(ROOT / "project/scripts/free-ports.py"), str(len(SERVICE_PORTS))],
                          capture_output=True, text=True, check=True).stdout.split()
    return dict(ENV, STACK_DIR=str(OFF_STACK_DIR), AMQP_NAMESPACE="bench-off", **TELEMETRY_OFF,
                **dict(zip(SERVICE_PORTS, free)))


def stack_services(env, command):
    """Runs stack.sh's `command` (services_up, services_down) for the stack
    `env` names (its STACK_DIR and ports); never the infrastructure."""
    script = f'source "{STACK}"; mkdir -p "$PIDS" "$LOGS"; {command}'
    subprocess.run(["bash", "-c", script], env=env, check=True, stdout=subprocess.DEVNULL)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def telemetry_slice(side, url, body):
    """One wrk slice against one side: req/s, requests, and the CPU seconds of
    its broker and logger and of wrk itself."""
    procs = [side["pids"][name] for name in ("broker", "logger")]
    before, wrk_before = sum(cpu_seconds(pid) for pid in procs), children_cpu()
    result = wrk(url.format(broker=side["broker"]), body, seconds=TELEMETRY_SLICE)
    result["cpu"] = sum(cpu_seconds(pid) for pid in procs) - before
    result["wrk_cpu"] = children_cpu() - wrk_before
    return result


def median_interval(values, confidence=0.95):
    """A distribution-free confidence interval for the median of `values`
    (sorted): the k-th smallest and k-th largest, k the largest rank that a
    sign test allows (each value falls below the true median with chance 1/2).
    Returns (low, high, the interval's actual coverage)."""
    n = len(values)
    below = 0.0  # P(fewer than k of n values fall below the median)
    k = 0
    while k < n // 2:
        chance = math.comb(n, k) / 2 ** n  # exactly k of n values below the median
        if below + chance > (1 - confidence) / 2:
            break
        below += chance
        k += 1
    if k == 0:  # too few values for this confidence: the whole range
        return values[0], values[-1], 1 - 2 / 2 ** n
    return values[k - 1], values[n - k], 1 - 2 * below


def telemetry_cost(tag):
    """`POST /` and `/handle` log over gRPC with tracing and metrics on (the
    default: trace context on every hop, no spans made, nothing exported) and
    off, two sets of services running at once, freshly started. wrk takes turns
    between them in slices of TELEMETRY_SLICE seconds, TELEMETRY_PAIRS pairs per
    scenario, in turn off first and on first; each pair gives one change
    (on / off - 1). Returns per scenario each side's median req/s, the median
    of the pairs' changes and its 95 % confidence interval, and each side's CPU per request of its
    broker and logger and of wrk (which telemetry does not touch: the control)."""
    body = {"action": "log", "transport": "grpc", "log": {"name": f"bench-telemetry-{tag}", "data": "bench"}}
    scenarios = {"root": ("{broker}/", None), "grpc": ("{broker}/handle", body)}
    env = off_stack_env()
    stack_services(ENV, "services_down; services_up")
    stack_services(env, "services_down; services_up")
    time.sleep(2)
    try:
        off_pids = {name: int((OFF_STACK_DIR / "pids" / f"{name}.pid").read_text()) for name in ("broker", "logger")}
        sides = {"on": {"broker": BROKER, "pids": pids()},
                 "off": {"broker": f"http://127.0.0.1:{env['BROKER_PORT']}", "pids": off_pids}}
        result = {}
        for key, (url, payload) in scenarios.items():
            for side in sides.values():  # warm-up: connections, pools, the first batches
                wrk(url.format(broker=side["broker"]), payload, seconds=2)
            slices = {"on": [], "off": []}
            for number in range(TELEMETRY_PAIRS):
                for mode in ("off", "on") if number % 2 == 0 else ("on", "off"):
                    slices[mode].append(telemetry_slice(sides[mode], url, payload))
            changes = sorted(on["rps"] / off["rps"] - 1 for on, off in zip(slices["on"], slices["off"]))
            low, high, coverage = median_interval(changes)
            result[key] = {"changes": changes, "change": statistics.median(changes),
                           "low": low, "high": high, "coverage": coverage}
            for mode, runs in slices.items():
                requests = sum(r["total"] for r in runs)
                result[key][mode] = {"rps": statistics.median(r["rps"] for r in runs),
                                     "cpu_us": sum(r["cpu"] for r in runs) / requests * 1e6,
                                     "wrk_us": sum(r["wrk_cpu"] for r in runs) / requests * 1e6,
                                     "non2xx": sum(r["non2xx"] + r["errors"] for r in runs)}
            log(f"telemetry {key}: {json.dumps(result[key])}")
        return result
    finally:
        stack_services(env, "services_down")


if __name__ == "__main__":
    main()
