"""The cost of tracing and metrics: a second set of services with both off
beside the bench stack's, and wrk taking turns between the two."""

import json
import math
import os
import statistics
import subprocess
import sys
import time

import stack
from load import children_cpu, cpu_seconds, wrk
from stack import ENV, ROOT, stack_services

# What turns tracing (the OpenTelemetry SDK's standard switch) and metrics off.
TELEMETRY_OFF = {"OTEL_SDK_DISABLED": "true", "METRICS_DISABLED": "true"}
# Pairs of wrk slices (one per side) per scenario, and a slice's length. This
# machine's speed drifts by more than 5 % over tens of seconds (every process's
# CPU per request moves together, wrk's and the Mongo server's too), so the two
# sides take turns every few seconds and each pair is compared on its own.
TELEMETRY_PAIRS = int(os.environ.get("BENCH_TELEMETRY_PAIRS", "20"))
TELEMETRY_SLICE = int(os.environ.get("BENCH_TELEMETRY_SLICE", "3"))
# The second set of services (telemetry off) runs beside the bench stack's on
# ports of its own, with its own state folder and AMQP and NATS names, on the same
# infrastructure and binaries.
OFF_STACK_DIR = ROOT / ".stack/bench-off"
SERVICE_PORTS = [name for name in stack.PORT_DEFAULTS if name not in stack.INFRA_PORTS]


def off_stack_env():
    free = subprocess.run([sys.executable, str(ROOT / "project/scripts/free-ports.py"), str(len(SERVICE_PORTS))],
                          capture_output=True, text=True, check=True).stdout.split()
    return dict(ENV, STACK_DIR=str(OFF_STACK_DIR), AMQP_NAMESPACE="bench-off", NATS_NAMESPACE="bench-off",
                **TELEMETRY_OFF, **dict(zip(SERVICE_PORTS, free)))


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
        off_pids = stack.pids(OFF_STACK_DIR, ("broker", "logger"))
        sides = {"on": {"broker": stack.BROKER, "pids": stack.pids()},
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
            stack.log(f"telemetry {key}: {json.dumps(result[key])}")
        return result
    finally:
        stack_services(env, "services_down")
