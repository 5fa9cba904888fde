#!/usr/bin/env python3
"""The sweep: each transport's knee for `ping` and `log`, into docs/benchmarks.md.

    python3 project/bench/sweep.py        # or: make -C project sweep

Starts the local stack in release mode (reusing running infrastructure,
stopping afterwards only what it started), runs `broker compare --mode sweep`
through the broker for `ping` and for `log` over all five transports (rates
doubling from SWEEP_START_RATE, default 100, to at most SWEEP_MAX_RATE, 10 000 (the broker's most),
SWEEP_SECONDS per step, default 2, SLO p99 ≤ SWEEP_SLO_MS, default 10), and
replaces the section between the sweep markers of docs/benchmarks.md with the
knees, a table of every step's p99 and a chart of the same (Mermaid, drawn by
GitHub).
A measurement, not a test: nothing fails on a number.
"""

import json
import os
import subprocess
import time

import stack
import tables

START_RATE = int(os.environ.get("SWEEP_START_RATE", "100"))
MAX_RATE = int(os.environ.get("SWEEP_MAX_RATE", "10000"))
SECONDS = int(os.environ.get("SWEEP_SECONDS", "2"))
SLO_MS = float(os.environ.get("SWEEP_SLO_MS", "10"))
TRANSPORTS = ["http", "amqp", "rpc", "grpc", "nats"]
# The chart's line colours, in the order of TRANSPORTS (Mermaid has no legend).
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
COLOUR_NAMES = ["blue", "orange", "green", "red", "purple"]


def main():
    stack.with_stack(lambda: run(tables.PAGE))


def sweep(action):
    args = [str(stack.BROKER_BIN), "compare", "--url", stack.BROKER, "--action", action,
            "--mode", "sweep", "--start-rate", str(START_RATE), "--max-rate", str(MAX_RATE),
            "--duration", str(SECONDS), "--slo-ms", str(SLO_MS), "--format", "json"]
    stack.log(f"sweep {action}: {' '.join(args[2:])}")
    done = subprocess.run(args, env=stack.DIRECT_ENV, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"[bench] sweep {action} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def run(page):
    time.sleep(2)
    reports = {action: sweep(action) for action in ("ping", "log")}
    write(page, reports)


def section(action, report):
    results = {r["transport"]: r for r in report["results"]}
    rates = sorted({s["rate"] for r in results.values() for s in r["steps"]})
    def knee(t):
        rate = results[t].get("knee")
        if rate is None:
            return "none"
        if all(step["met_slo"] for step in results[t]["steps"]):
            return f"≥ {rate:,}/s (no step missed)"
        return f"**{rate:,}**/s"

    lines = [f"**`{action}`**: knee (highest rate whose p99 met the SLO): "
             + ", ".join(f"{t} {knee(t)}" for t in TRANSPORTS), "",
             "| rate /s | " + " | ".join(f"{t} p99 ms" for t in TRANSPORTS) + " |",
             "| ---: | " + " | ".join("---:" for _ in TRANSPORTS) + " |"]
    p99 = {t: {s["rate"]: s for s in results[t]["steps"]} for t in TRANSPORTS}
    for rate in rates:
        cells = []
        for t in TRANSPORTS:
            step = p99[t].get(rate)
            if step is None:
                cells.append("–")
            else:
                mark = "" if step["met_slo"] else " ✗"
                errors = f", {step['errors']} errors" if step["errors"] else ""
                cells.append(f"{step['p99_ms']:.2f}{errors}{mark}")
        lines.append(f"| {rate:,} | " + " | ".join(cells) + " |")
    # The chart: log2 of the rate on x (the steps), p99 on y, capped so that a
    # missed step does not flatten the others.
    cap = SLO_MS * 3
    series = []
    for t in TRANSPORTS:
        values = [min(p99[t][rate]["p99_ms"], cap) if rate in p99[t] else cap for rate in rates]
        series.append("    line [" + ", ".join(f"{v:.2f}" for v in values) + "]")
    init = {"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(COLOURS)}}}
    lines += ["", "```mermaid", f"%%{{init: {json.dumps(init)}}}%%", "xychart-beta",
              f'    title "{action}: p99 (ms, capped at {cap:g}) per step rate"',
              "    x-axis [" + ", ".join(f'"{r}"' for r in rates) + "]",
              f'    y-axis "p99 ms" 0 --> {cap:g}', *series, "```"]
    return lines


def write(page, reports):
    legend = ", ".join(f"{t} {c}" for t, c in zip(TRANSPORTS, COLOUR_NAMES))
    lines = [f"Swept {time.strftime('%Y-%m-%d')} by `make -C project sweep` through the broker "
             f"(release build, local stack): rates doubling from {START_RATE}/s to at most "
             f"{MAX_RATE:,}/s, {SECONDS} s per step, 1 s warm-up, SLO p99 ≤ {SLO_MS:g} ms and at most "
             f"1 % errors, latency from each call's planned send time; on "
             f"{tables.machine(0, 0).split(';')[0]}. ✗: the step that missed (the last one run). "
             f"Chart lines: {legend}; a p99 over {SLO_MS * 3:g} ms, or a step not run, is drawn at "
             f"{SLO_MS * 3:g}.", ""]
    for action, report in reports.items():
        lines += section(action, report) + [""]
    table = "\n".join(lines).rstrip()
    tables.replace_section(page, "sweep", table)
    stack.log(f"{page.name} updated")
    print(table)


if __name__ == "__main__":
    main()
