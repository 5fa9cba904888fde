#!/usr/bin/env python3
"""Prints COUNT distinct local TCP ports that can be listened on, one per line.

Usage: free-ports.py COUNT [SKIP...]

For the shell tests that must name a port before the program that listens on
it starts (Prometheus's scrape targets, podman's published ports). The ports
come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range):
a port inside it can be taken between this check and the listen by any
outgoing connection's source port, or by a client that keeps connecting to it
(Prometheus scraping a target that is not up yet) and, one try in many
thousands, is handed that very port and connects to itself. Each port is
checked by binding it as a server does (SO_REUSEADDR), so one held by a
connection, not only one that answers, is skipped; SKIP ports are skipped too.
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


def can_listen(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main():
    if len(sys.argv) < 2 or not sys.argv[1].isdigit():
        sys.exit("usage: free-ports.py COUNT [SKIP...]")
    count = int(sys.argv[1])
    skip = {int(p) for p in sys.argv[2:]}
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
    print("\n".join(map(str, found)))


if __name__ == "__main__":
    main()
