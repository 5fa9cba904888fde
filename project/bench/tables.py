"""The benchmark tables of docs/benchmarks.md, from what bench.py, sweep.py and
soak.py measured: the Markdown and its place between the page's markers."""
import os
import platform
import time
from pathlib import Path

# The page the tables are written into, between its `<!-- name:start -->` and
# `<!-- name:end -->` markers; BENCH_OUT names another (a trial run's).
PAGE = Path(os.environ.get("BENCH_OUT") or Path(__file__).resolve().parents[2] / "docs/benchmarks.md")


def machine(connections, seconds):
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}; "
            f"wrk {connections} connections, 2 threads, {seconds} s per scenario, on the same machine")


def fmt(value, digits=2):
    return "–" if value is None else f"{value:,.{digits}f}"


def write_bench(page, rows, overhead, idle, after, telemetry, *, host, services, ping_rounds,
                 telemetry_pairs, telemetry_slice, log):
    lines = [f"Measured {time.strftime('%Y-%m-%d')} by `make -C project bench` on {host}.", ""]
    lines += ["| scenario | req/s | p50 ms | p99 ms | non-2xx | target | busiest processes (CPU) | "
              "CPU µs per request | note |",
              "| --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['name']} | {fmt(r['rps'], 0)} | {fmt(r.get('p50'))} | {fmt(r.get('p99'))} | "
                     f"{r['non2xx'] + r['errors']} | {r['target']} | {r['cpu']} | {r['cpu_us']} | "
                     f"{r.get('note', '')} |")
    lines += ["", "`ping` (no database) at concurrency 1: through the broker (wrk → broker → worker) "
              "against straight to the worker (`broker compare --direct`); the median p50 of "
              f"{ping_rounds} alternating rounds each:", "",
              "| transport | through the broker p50 ms | direct p50 ms | broker's cost µs | target |",
              "| --- | ---: | ---: | ---: | --- |"]
    for transport, through, direct in overhead:
        lines.append(f"| {transport} | {through:.3f} | {direct:.3f} | {(through - direct) * 1000:.0f} | ≤ 100 µs |")
    lines += ["", "| service | idle RSS MiB | RSS MiB 10 s after the load | of which anonymous (heap, stacks): idle → after | target |",
              "| --- | ---: | ---: | ---: | --- |"]
    for svc in services:
        if svc in idle:
            (rss_idle, anon_idle), (rss_after, anon_after) = idle[svc], after.get(svc, (0.0, 0.0))
            lines.append(f"| {svc} | {rss_idle:.1f} | {rss_after:.1f} | {anon_idle:.1f} → {anon_after:.1f} | < 15 MiB |")
    lines += ["", "The cost of tracing and metrics: req/s with both on (the default: trace context on every "
              "hop and in log lines, no spans made, nothing exported) and off (`OTEL_SDK_DISABLED=true METRICS_DISABLED=true`). "
              "Two sets of services run at once on the same infrastructure, freshly started, and wrk takes turns "
              f"between them, {telemetry_pairs} pairs of {telemetry_slice} s slices per scenario, in turn off first and "
              "on first; a pair's change is on ÷ off − 1, and the change below is the median of the pairs', with "
              "its confidence interval beside it (distribution-free: the order statistics a sign test allows; "
              "the slices' own noise is wider, a few per cent either way). CPU per request: the side's broker and logger, and wrk's own, "
              "which telemetry does not touch (a control for the machine's drift):", "",
              "| scenario | off req/s | on req/s | change | confidence interval of the change | "
              "broker + logger CPU µs/req, off → on | wrk CPU µs/req, off → on | non-2xx | target |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for key, name in (("root", "`POST /`"), ("grpc", "`/handle` log over gRPC")):
        t = telemetry[key]
        off, on = t["off"], t["on"]
        lines.append(f"| {name} | {off['rps']:,.0f} | {on['rps']:,.0f} | {t['change'] * 100:+.1f} % | "
                     f"{t['low'] * 100:+.1f} … {t['high'] * 100:+.1f} % ({t['coverage'] * 100:.0f} %) | {off['cpu_us']:.1f} → {on['cpu_us']:.1f} | "
                     f"{off['wrk_us']:.1f} → {on['wrk_us']:.1f} | {off['non2xx'] + on['non2xx']} | ≥ −5 % |")
    table = "\n".join(lines)
    replace_section(page, "bench", table, heading="The benchmark")
    log(f"{page.name} updated")
    print(table)


def replace_section(page, name, table, heading=None):
    """Puts `table` between `page`'s (docs/benchmarks.md) `<!-- name:start -->` and
    `<!-- name:end -->` markers (bench.py, soak.py and sweep.py each own one). Without the markers: a new
    section `## heading` at the end when a heading is given, an error otherwise."""
    text = page.read_text() if page.exists() else ""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start in text and end in text:
        text = text[: text.index(start) + len(start)] + "\n" + table + "\n" + text[text.index(end):]
    elif heading:
        text += f"\n## {heading}\n\n{start}\n{table}\n{end}\n"
    else:
        raise SystemExit(f"[bench] {page} has no {start} … {end} markers")
    page.write_text(text)
