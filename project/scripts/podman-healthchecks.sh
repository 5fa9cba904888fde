#!/usr/bin/env bash
# Runs the healthchecks of a compose project's containers under podman, as
# Docker's engine runs them, until it is stopped:
#
#   podman-healthchecks.sh PROJECT
#
# podman runs a container's healthcheck only from a systemd timer; without
# systemd nothing runs it, its status stays "starting", and a compose
# `depends_on: condition: service_healthy` waits forever. This loop runs
# `podman healthcheck run` on each running container labelled
# com.docker.compose.project=PROJECT, at the container's own interval: the first
# probe one interval after the loop first sees the container, the next one
# interval after the one before began, never two at once (podman itself counts
# the retries and the start period).
# It uses the podman configuration of its environment (CONTAINERS_CONF,
# CONTAINERS_STORAGE_CONF: compose-check.sh exports containers.sh's).
set -uo pipefail

PROJECT="${1:?usage: podman-healthchecks.sh PROJECT}"
declare -A interval due probe

while :; do
  for name in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}' 2>/dev/null); do
    if [[ -z ${interval[$name]:-} ]]; then
      # Whole seconds; 0 when the container has no healthcheck.
      seconds="$(podman inspect --format '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Interval.Seconds}}{{end}}' \
        "$name" 2>/dev/null)"
      interval[$name]=$(printf '%.0f' "${seconds:-0}" 2>/dev/null || echo 0)
      due[$name]=$((SECONDS + interval[$name]))
    fi
    ((interval[$name] > 0 && SECONDS >= due[$name])) || continue
    # One probe at a time per container; a probe past the interval is waited for.
    if [[ -n ${probe[$name]:-} ]] && kill -0 "${probe[$name]}" 2>/dev/null; then continue; fi
    podman healthcheck run "$name" >/dev/null 2>&1 &
    probe[$name]=$!
    due[$name]=$((SECONDS + interval[$name]))
  done
  sleep 1
done
