#!/usr/bin/env bash
# project/Dockerfile's six images, built and run with podman: no Docker engine
# and no image registry needed (Debian's podman and buildah, as root).
#
#   containers.sh check   everything below, then removes what it started (after
#                         a failure too); what `make -C project container-check`
#                         and the test command run
#   containers.sh bases   make the two base images the Dockerfile names, when
#                         missing: debian:bookworm-slim (debootstrap) and a
#                         rust:<RUST_VERSION>-bookworm stand-in carrying this
#                         machine's Rust toolchain
#   containers.sh build   the bases, then every target of project/Dockerfile,
#                         unchanged, tagged flexiconnect/<service>:latest (the names
#                         project/docker-compose.yml uses)
#   containers.sh clean   remove the state directory (images and build cache)
#
# `check` starts each service's container with only the settings a deployment
# gives it: the image's own ports (every HTTP API on 80), the infrastructure's
# addresses and the other services'. Each container has its own network (podman's
# slirp4netns, which lets a container reach the host's loopback at 10.0.2.2,
# where the test infrastructure listens); its ports are published on free host
# ports, and the services reach each other through them. Then it runs each
# container's own HEALTHCHECK until it passes (there is no systemd to run them),
# sends the fifteen action × transport calls, the event on each bus and the
# original page's five calls
# through the containerized broker (container-calls.sh), loads the page from the
# containerized front-end, and checks what a user relies on: every image runs as
# a non-root user, no secret, .env or source tree in a runtime image, each
# runtime image's size (target: at most 120 MB), and Debian's docker-compose,
# talking to podman's API socket, renders project/docker-compose.yml with the
# built images' names.
#
# The infrastructure must be running (stack.sh infra: Postgres, RabbitMQ, the
# Mongo-wire server, the SMTP catcher), at the addresses test.sh exports.
# State (images, build cache) lives in CONTAINERS_DIR, default
# ~/.cache/flexiconnect/containers, outside the repository, so that a second run
# reuses the base images and the cargo-chef layer.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/project/scripts"
STATE="${CONTAINERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/flexiconnect/containers}"
SERVICES=(logger authentication mail listener broker front-end)
TAG="${IMAGE_TAG:-latest}"
MAX_IMAGE_MB="${MAX_IMAGE_MB:-120}"

log() { printf '[containers] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# --- podman, configured for this machine ------------------------------------

tools() {
  local missing=()
  for tool in podman buildah debootstrap runc slirp4netns docker-compose docker; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    log "installing Debian's podman, buildah, debootstrap and what they run with (missing: ${missing[*]})"
    command -v apt-get >/dev/null || die "no apt-get: install ${missing[*]} yourself"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq podman buildah debootstrap runc \
      fuse-overlayfs uidmap slirp4netns netavark aardvark-dns containernetworking-plugins iptables \
      docker-compose docker.io >/dev/null
  fi
}

# Storage and engine settings of our own (the machine's stay untouched): runc
# (crun refuses this machine's cgroups), cgroupfs (no systemd), explicit ulimits
# (the default ones are refused without CAP_SYS_RESOURCE), the sysctl that lets a
# non-root process bind 80 as under Docker, and Docker Hub for short names.
configure() {
  mkdir -p "$STATE"
  cat >"$STATE/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$STATE/run"
graphroot = "$STATE/storage"
EOF
  cat >"$STATE/containers.conf" <<'EOF'
[containers]
default_sysctls = ["net.ipv4.ping_group_range=0 0", "net.ipv4.ip_unprivileged_port_start=0"]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
  cat >"$STATE/registries.conf" <<'EOF'
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
  export CONTAINERS_STORAGE_CONF="$STATE/storage.conf" CONTAINERS_CONF="$STATE/containers.conf"
  export CONTAINERS_REGISTRIES_CONF="$STATE/registries.conf" BUILDAH_FORMAT=docker
}

have_image() { podman image exists "$1"; }

# --- base images ------------------------------------------------------------

RUST_VERSION="$(sed -n 's/^ARG RUST_VERSION=//p' "$ROOT/project/Dockerfile")"
DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
RUST_IMAGE="docker.io/library/rust:$RUST_VERSION-bookworm"

debian_base() {
  have_image "$DEBIAN_IMAGE" && return 0
  log "making $DEBIAN_IMAGE with debootstrap (about a minute)"
  local rootfs="$STATE/rootfs"
  as_root rm -rf "$rootfs"
  as_root debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$STATE/debootstrap.log" 2>&1 \
    || die "debootstrap failed (see $STATE/debootstrap.log)"
  cat >"$rootfs/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  # This machine reaches the registries through its own certificate authorities:
  # without them, HTTPS inside a build fails its certificate checks.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
  fi
  # Slim as Docker Hub's -slim images are (debuerreotype's slimify): no
  # documentation, manual pages or translations, now or in later installs.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/linda/*' \
    'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/locale/*' \
    'path-include /usr/share/locale/locale.alias' 'path-exclude /usr/share/man/*' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/docker"
  # And apt keeps no package cache or downloaded packages (Docker's images'
  # docker-clean): without it, each `apt-get install` layer carries 80 MB of them.
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  printf 'Acquire::GzipIndexes "true";\n' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  (
    cd "$rootfs" # every path below is inside the new root file system
    find ./usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
    find ./usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    rm -rf ./usr/share/groff/* ./usr/share/info/* ./usr/share/man/* ./var/cache/apt/*.bin \
      ./var/cache/apt/archives/*.deb ./var/lib/apt/lists/* ./var/log/*.log
  )
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  as_root rm -rf "$rootfs"
}

rust_base() {
  have_image "$RUST_IMAGE" && return 0
  local toolchain version
  toolchain="$(rustc --print sysroot)"
  version="$(rustc --version | awk '{print $2}')"
  [[ $version == "$RUST_VERSION".* || $version == "$RUST_VERSION" ]] \
    || log "note: the Dockerfile asks for Rust $RUST_VERSION; this machine's toolchain is $version (used as the stand-in)"
  log "making $RUST_IMAGE from $DEBIAN_IMAGE and this machine's Rust $version (about a minute)"
  local ctx="$STATE/rust-context"
  rm -rf "$ctx" && mkdir -p "$ctx/toolchain" "$ctx/bin"
  # The official image's layout: RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo.
  (cd "$toolchain" && tar --exclude=./share/doc -c .) | tar -C "$ctx/toolchain" -x
  cp -L "$(command -v rustup)" "$ctx/bin/rustup"
  cat >"$ctx/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git \\
    build-essential pkg-config libssl-dev && rm -rf /var/lib/apt/lists/*
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:\$PATH RUST_VERSION=$version
COPY toolchain /usr/local/rustup/toolchains/$version-x86_64-unknown-linux-gnu
COPY bin/rustup /usr/local/cargo/bin/rustup
RUN printf 'version = "12"\ndefault_toolchain = "$version-x86_64-unknown-linux-gnu"\nprofile = "minimal"\n' \\
      >/usr/local/rustup/settings.toml \\
 && for tool in cargo rustc rustdoc rust-gdb rust-lldb cargo-clippy clippy-driver cargo-fmt rustfmt; do \\
      ln -s rustup /usr/local/cargo/bin/\$tool; done \\
 && chmod -R a+w /usr/local/rustup /usr/local/cargo && cargo --version && rustc --version
EOF
  buildah bud --quiet --layers -t "$RUST_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
}

bases() { debian_base; rust_base; }

# --- the six images ---------------------------------------------------------

build() {
  local service started
  # The builder stage first, tagged: it keeps the cargo-chef layer (the compiled
  # dependencies) referenced, so the prune below leaves it for the next run.
  for service in build-cache "${SERVICES[@]}"; do
    started=$SECONDS
    log "building flexiconnect/$service:$TAG (target $service of project/Dockerfile)"
    buildah bud --layers --pull=never -f "$ROOT/project/Dockerfile" --target "${service/build-cache/builder}" \
      -t "flexiconnect/$service:$TAG" "$ROOT" >"$STATE/build-$service.log" 2>&1 \
      || { tail -30 "$STATE/build-$service.log" >&2; die "building $service failed (see $STATE/build-$service.log)"; }
    log "built flexiconnect/$service:$TAG in $((SECONDS - started)) s"
  done
  # Layers no tagged image uses any more (an earlier run's) only take disk.
  podman image prune -f >/dev/null
}

main() {
  local command="${1:-check}"
  case "$command" in
    bases) tools; configure; bases ;;
    build) tools; configure; bases; build ;;
    check) tools; configure; bases; build; source "$HERE/container-run.sh"; run_and_check ;;
    clean)
      configure
      [[ $STATE == */containers && $STATE != "$HOME" ]] || die "refusing to remove $STATE (not a containers state directory)"
      podman rmi -a -f >/dev/null 2>&1 || true
      as_root rm -rf "$STATE"
      ;;
    *) die "unknown command $command (check, bases, build, clean)" ;;
  esac
}

[[ ${BASH_SOURCE[0]} != "$0" ]] || main "$@"
