"""The load and what it costs: wrk runs and their results, `broker compare
--direct`, and the CPU time of each process taking part (/proc/<pid>/stat)."""

import json
import os
import re
import resource
import subprocess
from collections import defaultdict
from pathlib import Path

import stack

LUA = stack.ROOT / "project/bench/post.lua"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
TICKS = os.sysconf("SC_CLK_TCK")


def wrk_args(url, connections=CONNECTIONS, seconds=SECONDS, threads=2, latency=True):
    return (["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"] + (["--latency"] if latency else [])
            + ["-s", str(LUA), url])


def wrk_env(body):
    return dict(os.environ, BODY=json.dumps(body) if body is not None else "")


def wrk(url, body=None, connections=CONNECTIONS, seconds=SECONDS, threads=2):
    """Runs wrk; returns requests/s, total, non-2xx count and latency percentiles (ms)."""
    args = wrk_args(url, connections, seconds, threads)
    return parse_wrk(subprocess.run(args, env=wrk_env(body), capture_output=True, text=True, check=True).stdout)


def parse_wrk(out):
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


def compare_direct(action, transport, requests=2000, concurrency=1):
    args = [str(stack.BROKER_BIN), "compare", "--direct", "--json", "--action", action,
            "--requests", str(requests), "--concurrency", str(concurrency), "--transports", transport]
    out = subprocess.run(args, env=stack.DIRECT_ENV, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["results"][0]


def stat_fields(pid):
    """/proc/<pid>/stat after the command's name: [0] state, [1] ppid, [11]
    utime, [12] stime (all threads), [13] cutime, [14] cstime (reaped children)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_cpu():
    """The CPU seconds of this process's reaped children (wrk, while a scenario runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def listening_pids(port):
    """The pids holding a socket that listens on TCP `port` (IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    found = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                found.add(int(fd_dir.parent.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def process_table():
    """Every process: its parent and its CPU seconds, its own (all threads) and
    its reaped children's, so that a group loses none of a child that ended."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(stat.parent.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS)
    return table


class ProcessCpu:
    """The CPU seconds of the processes taking part: each service (its pid
    file), each piece of infrastructure (what listens on its port, with every
    process below it: Postgres's backends), and wrk (this script's children)."""

    INFRA = {"rabbitmq": "RABBITMQ_PORT", "mongo-wire": "MONGO_PORT", "postgres": "POSTGRES_PORT",
             "nats": "NATS_PORT"}

    def __init__(self):
        self.groups = {name: {pid} for name, pid in stack.pids().items()}
        for name, port_name in self.INFRA.items():
            found = listening_pids(stack.PORTS[port_name])
            if found:
                self.groups[name] = found

    def sample(self):
        table = process_table()
        children = defaultdict(list)
        for pid, (ppid, _) in table.items():
            children[ppid].append(pid)
        seconds = {}
        for name, roots in self.groups.items():
            members, todo = set(), list(roots)
            while todo:
                pid = todo.pop()
                if pid in table and pid not in members:
                    members.add(pid)
                    todo += children[pid]
            seconds[name] = sum(table[pid][1] for pid in members)
        seconds["wrk"] = children_cpu()
        return seconds


def per_request(before, after, requests):
    """`name µs` per answered request for each process, most first; those under
    half a µs left out."""
    costs = sorted(((after[name] - before[name]) / max(requests, 1) * 1e6, name) for name in before)
    return ", ".join(f"{name} {us:.0f}" for us, name in reversed(costs) if us >= 0.5)
