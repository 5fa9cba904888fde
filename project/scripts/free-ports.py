#!/usr/bin/env python3
"""Prints COUNT distinct local TCP ports that can be listened on, one per line.

Usage: free-ports.py COUNT [SKIP...]
       free-ports.py --prefer PORT...


For the shell tests that must name a port before the program that listens on
it starts (Prometheus's scrape targets, podman's published ports). The ports
come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range):
a port inside it can be taken between this check and the listen by any
outgoing connection's source port, or by a client that keeps connecting to it
(Prometheus scraping a target that is not up yet) and, one try in many
thousands, is handed that very port and connects to itself. Each port is
checked by binding it as a server does (SO_REUSEADDR), so one held by a
connection, not only one that answers, is skipped; SKIP ports are skipped too.

With --prefer, one port per PORT: PORT itself when it can be listened on, on
every address (as a published container port is), else a free one from below
the ephemeral range (compose-check.sh: a port a running local stack holds is
moved, not taken from it).
"""

import socket
import sys

WIDTH = 2000  # how many ports below the ephemeral range are searched


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def can_listen(port, address="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def free_ports(count, skip):
    high = ephemeral_low()
    low = max(1024, high - WIDTH)
    found = []
    for port in range(low, high):
        if len(found) == count:
            break
        if port not in skip and can_listen(port):
            found.append(port)
    if len(found) < count:
        sys.exit(f"free-ports.py: only {len(found)} of {count} free ports in {low}-{high - 1}")
    return found


def preferred(ports):
    taken = [p for p in ports if not can_listen(p, "0.0.0.0")]
    spare = iter(free_ports(len(taken), set(ports)))
    return [next(spare) if p in taken else p for p in ports]


def main():
    args = sys.argv[1:]
    if args[:1] == ["--prefer"] and all(a.isdigit() for a in args[1:]):
        print("\n".join(map(str, preferred([int(a) for a in args[1:]]))))
        return
    if not args or not all(a.isdigit() for a in args):
        sys.exit("usage: free-ports.py COUNT [SKIP...] | --prefer PORT...")
    print("\n".join(map(str, free_ports(int(args[0]), {int(p) for p in args[1:]}))))


if __name__ == "__main__":
    main()
