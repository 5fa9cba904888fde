"""The local stack the benchmarks drive (project/scripts/stack.sh): its ports,
addresses and environment, starting and stopping it, its services' pids and
memory, and what the logger stored."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "project/scripts/stack.sh"
BROKER_BIN = ROOT / "target/release/broker"
STACK_DIR = ROOT / ".stack/bench"

# The ports of project/scripts/stack.sh: the same variables, the same defaults
# (an empty value means the default, as with stack.sh's ${VAR:-default}).
PORT_DEFAULTS = {
    "POSTGRES_PORT": 5432, "RABBITMQ_PORT": 5672, "NATS_PORT": 4222, "MONGO_PORT": 27017,
    "SMTP_PORT": 1025, "MAILDEV_PORT": 1080,
    "BROKER_PORT": 8080, "FRONT_END_PORT": 8081, "LISTENER_PORT": 8085,
    "LOGGER_PORT": 8082, "LOGGER_RPC_PORT": 5001, "LOGGER_GRPC_PORT": 50001,
    "AUTH_PORT": 8083, "AUTH_RPC_PORT": 5002, "AUTH_GRPC_PORT": 50002,
    "MAIL_PORT": 8084, "MAIL_RPC_PORT": 5003, "MAIL_GRPC_PORT": 50003,
}
# The infrastructure's ports (shared by every stack); the rest are the services'.
INFRA_PORTS = ("POSTGRES_PORT", "RABBITMQ_PORT", "NATS_PORT", "MONGO_PORT", "SMTP_PORT", "MAILDEV_PORT")


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
LISTENER = f"http://127.0.0.1:{PORTS['LISTENER_PORT']}"
MONGO = f"mongodb://127.0.0.1:{PORTS['MONGO_PORT']}"
# `broker compare --direct` reads the broker's own settings (broker/src/settings.rs,
# runtime's AMQP_URL and NATS_URL): the same values stack.sh gives the broker it starts.
BROKER_SETTINGS = {
    "BROKER_URL": BROKER,
    "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{PORTS['RABBITMQ_PORT']}/%2f",
    "NATS_URL": f"nats://127.0.0.1:{PORTS['NATS_PORT']}",
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


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def with_stack(run):
    """Starts the local stack (reusing running infrastructure), calls `run()`,
    and stops afterwards only what `up` started."""
    subprocess.run([str(STACK), "up"], env=ENV, check=True)
    try:
        return run()
    finally:
        subprocess.run([str(STACK), "down"], env=ENV, check=False)


def stack_services(env, command):
    """Runs stack.sh's `command` (services_up, services_down) for the stack
    `env` names (its STACK_DIR and ports); never the infrastructure."""
    script = f'source "{STACK}"; mkdir -p "$PIDS" "$LOGS"; {command}'
    subprocess.run(["bash", "-c", script], env=env, check=True, stdout=subprocess.DEVNULL)


def pids(stack_dir=STACK_DIR, names=SERVICES):
    """The pids of the services of the stack in `stack_dir` that have a pid file."""
    found = {}
    for name in names:
        pid_file = stack_dir / "pids" / f"{name}.pid"
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


def memory():
    """Every running service's rss_mib."""
    return {svc: rss_mib(pid) for svc, pid in pids().items()}


def count_logs(name):
    """How many entries named `name` the logger stored (in this process, so
    that its CPU is not counted as wrk's, the only children while a scenario runs)."""
    import pymongo  # only here: the rest runs without it

    with pymongo.MongoClient(MONGO) as client:
        return client.logs.logs.count_documents({"name": name})
