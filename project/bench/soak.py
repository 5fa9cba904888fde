#!/usr/bin/env python3
"""The soak run: each transport under steady load for a while, nothing more.

    python3 project/bench/soak.py        # or: make -C project soak

Starts the local stack in release mode (reusing running infrastructure,
stopping afterwards only what it started), then for each transport sends
`/handle` log calls at a fixed concurrency for SOAK_SECONDS (default 60) with
wrk, and records errors, throughput, and every service's memory (RSS) before
and after. Replaces the section between the soak markers of docs/benchmarks.md.
A measurement, not a test: nothing fails on a number.
"""

import os
import time
import uuid

import load
import stack
import tables

SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
CONCURRENCY = int(os.environ.get("SOAK_CONCURRENCY", "16"))


def main():
    stack.with_stack(lambda: run(tables.PAGE))


def run(page):
    time.sleep(2)
    tag = uuid.uuid4().hex[:8]
    rows = []
    for transport in ("http", "amqp", "rpc", "grpc", "nats"):
        before = stack.memory()
        body = {"action": "log", "transport": transport, "log": {"name": f"soak-{transport}-{tag}", "data": "soak"}}
        stack.log(f"soak {transport}: {SECONDS} s at concurrency {CONCURRENCY} …")
        result = load.wrk(f"{stack.BROKER}/handle", body, connections=CONCURRENCY, seconds=SECONDS)
        time.sleep(5)
        after = stack.memory()
        rows.append((transport, result, before, after))
        stack.log(f"soak {transport}: {result}")
    write(page, rows)


def write(page, rows):
    services = [s for s in stack.SERVICES if s in rows[0][2]]
    lines = [f"Soaked {time.strftime('%Y-%m-%d')} by `make -C project soak`: `/handle` log, "
             f"{SECONDS} s per transport at concurrency {CONCURRENCY} (wrk, 2 threads), "
             f"on {tables.machine(0, 0).split(';')[0]}.", "",
             "| transport | requests | errors | req/s | p99 ms | RSS before → 5 s after, MiB |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for transport, r, before, after in rows:
        memory = ", ".join(f"{s} {before[s][0]:.1f} → {after.get(s, (0.0, 0.0))[0]:.1f}" for s in services)
        lines.append(f"| {transport} | {r['total']:,} | {r['non2xx'] + r['errors']} | {r['rps']:,.0f} | "
                     f"{tables.fmt(r.get('p99'))} | {memory} |")
    table = "\n".join(lines)
    tables.replace_section(page, "soak", table)
    stack.log(f"{page.name} updated")
    print(table)


if __name__ == "__main__":
    main()
