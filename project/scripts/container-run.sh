# shellcheck shell=bash disable=SC2154 # PORT_<service>_<port> are set by start (printf -v)
# Sourced by containers.sh (after `configure` and `build`): runs the six images
# against the host's infrastructure and checks them; see containers.sh's header.
# Every container, the podman API service and the Postgres database it made are
# removed when it returns, after a failure too. Its MongoDB database and AMQP
# namespace (both named "containers") stay and are reused by the next run; two
# runs at once on one machine would share them, and are not supported.

# The infrastructure's addresses, as test.sh exports them (these defaults are
# stack.sh's own ports).
: "${TEST_AMQP_URL:=amqp://guest:guest@127.0.0.1:5672/%2f}" "${TEST_MONGO_URL:=mongodb://127.0.0.1:${MONGO_PORT:-27017}}"
: "${TEST_DATABASE_URL:=postgres://postgres:password@127.0.0.1:5432}" "${TEST_SMTP_ADDR:=127.0.0.1:${SMTP_PORT:-1025}}"
: "${TEST_MAILDEV_URL:=http://127.0.0.1:${MAILDEV_PORT:-1080}}" "${TEST_NATS_URL:=nats://127.0.0.1:${NATS_PORT:-4222}}"

# shellcheck source=container-calls.sh
source "$HERE/container-calls.sh" # pass, fail, FAILED and the calls
RUN_ID="check$$"
SOCKET="$STATE/podman.sock"
NAMESPACE=containers # AMQP_ and NATS_NAMESPACE: the check's own exchange, queue and subject names
DATABASE=flexi_containers

# From inside a container (slirp4netns), the host's loopback is 10.0.2.2.
from_container() { sed -E 's#(//|@|^)(127\.0\.0\.1|localhost)([:/]|$)#\110.0.2.2\3#'; }

# A free host port into FREE_PORT, distinct from every other one handed out in
# this run (not in a subshell: TAKEN must remember it), from below the
# ephemeral range (free-ports.py says why).
TAKEN=""
next_free_port() {
  # shellcheck disable=SC2086 # TAKEN is a list of ports
  FREE_PORT="$(python3 "$HERE/free-ports.py" 1 $TAKEN)" || die "no free port (free-ports.py says why, above)"
  TAKEN+=" $FREE_PORT"
}

# start NAME [PORT_SPEC...] -- [ENV...]: the service's image, its own network,
# each container port published on a free host port (PORT_<name>_<container port>).
start() {
  local service=$1; shift
  local publish=() port
  while [[ $1 != -- ]]; do
    port=$1; shift
    next_free_port
    printf -v "PORT_${service//-/_}_$port" '%s' "$FREE_PORT"
    publish+=(-p "127.0.0.1:$FREE_PORT:$port")
  done
  shift
  local env=() setting
  for setting in "$@"; do env+=(-e "$setting"); done
  podman run -d --name "$RUN_ID-$service" --label "flexiconnect.check=$RUN_ID" \
    --network slirp4netns:allow_host_loopback=true "${publish[@]}" "${env[@]}" \
    "flexiconnect/$service:$TAG" >/dev/null 2>>"$STATE/podman.log" \
    || die "podman run $service failed: $(tail -3 "$STATE/podman.log" | tr '\n' ' ')"
}

# The container's own HEALTHCHECK, run until it passes (no systemd runs it here).
healthy() { # service seconds
  local name="$RUN_ID-$1" deadline=$((SECONDS + $2))
  until podman healthcheck run "$name" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      fail "$1: HEALTHCHECK" "not healthy within $2 s; its last lines: $(podman logs --tail 5 "$name" 2>&1 | tr '\n' ' ')"
      return 1
    fi
    sleep 1
  done
  pass "$1: HEALTHCHECK passes ($(podman inspect --format '{{.State.Health.Status}}' "$name"))"
}

cleanup_containers() {
  podman ps -aq --filter "label=flexiconnect.check=$RUN_ID" | xargs -r podman rm -f -t 2 >/dev/null 2>>"$STATE/podman.log" || true
  if [[ -n ${SERVICE_PID:-} ]]; then kill "$SERVICE_PID" 2>/dev/null || true; fi
  rm -f "$SOCKET"
  psql -q "$TEST_DATABASE_URL/postgres" \
    -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
}

start_services() {
  local amqp nats mongo dsn smtp_host smtp_port host=10.0.2.2
  amqp="$(from_container <<<"$TEST_AMQP_URL")"
  nats="$(from_container <<<"$TEST_NATS_URL")"
  mongo="$(from_container <<<"$TEST_MONGO_URL")"
  dsn="$(from_container <<<"$TEST_DATABASE_URL")/$DATABASE"
  smtp_host="$(from_container <<<"${TEST_SMTP_ADDR%:*}")" smtp_port="${TEST_SMTP_ADDR##*:}"
  local common=(RUST_LOG=info "AMQP_URL=$amqp" "AMQP_NAMESPACE=$NAMESPACE" "NATS_URL=$nats" "NATS_NAMESPACE=$NAMESPACE")
  start logger 80 5001 50001 -- "${common[@]}" "MONGO_URL=$mongo" "MONGO_DATABASE=$DATABASE"
  local logger="http://$host:$PORT_logger_80"
  # A signing key as compose-env.sh makes one.
  local jwt_key
  jwt_key="$("$ROOT/project/scripts/jwt-key.sh")"
  start authentication 80 5002 50002 -- "${common[@]}" "DSN=$dsn" "LOGGER_URL=$logger" \
    "JWT_PRIVATE_KEY=$jwt_key"
  # What project/docker-compose.yml narrows, as it does: the senders and
  # recipients, the pages that may call the broker, the rate per client, what
  # needs a token.
  start mail 80 5003 50003 -- "${common[@]}" "MAIL_HOST=$smtp_host" "MAIL_PORT=$smtp_port" \
    MAIL_ALLOWED_DOMAINS=example.com MAIL_RECIPIENT_DOMAINS=example.com,there.com
  start listener 80 -- "${common[@]}" "LOGGER_URL=$logger"
  start broker 80 -- "${common[@]}" "LOGGER_URL=$logger" \
    "LOGGER_RPC_ADDR=$host:$PORT_logger_5001" "LOGGER_GRPC_URL=http://$host:$PORT_logger_50001" \
    "AUTH_URL=http://$host:$PORT_authentication_80" "AUTH_RPC_ADDR=$host:$PORT_authentication_5002" \
    "AUTH_GRPC_URL=http://$host:$PORT_authentication_50002" \
    "MAIL_URL=http://$host:$PORT_mail_80" "MAIL_RPC_ADDR=$host:$PORT_mail_5003" \
    "MAIL_GRPC_URL=http://$host:$PORT_mail_50003" \
    CORS_ORIGINS=http://localhost:8081,http://127.0.0.1:8081 RATE_LIMIT_PER_SECOND=50 RATE_LIMIT_BURST=100 \
    TOKEN_REQUIRED_FOR=mail,logs,compare
  BROKER="http://127.0.0.1:$PORT_broker_80"
  start front-end 80 -- "BROKER_URL=$BROKER"
  PAGE="http://127.0.0.1:$PORT_front_end_80"
  log "started the six containers; the broker is at $BROKER, the page at $PAGE"
  # What container-calls.sh reads: the broker's CORS_ORIGINS above, the mail
  # service's default sender, the test infrastructure's MailDev.
  PAGE_ORIGIN=http://localhost:8081 FROM_ADDRESS=flexiconnect@example.com MAIL_API="$TEST_MAILDEV_URL/email"
}

# GET PATH from a service's container, through its published HTTP port.
service_get() { # service path
  local port="PORT_${1//-/_}_80"
  curl -sS -m 5 "http://127.0.0.1:${!port}$2"
}

# What a user relies on in each image: a non-root user, no secret or source tree,
# the size.
inspect_images() {
  local service image user uid found size
  for service in "${SERVICES[@]}"; do
    image="flexiconnect/$service:$TAG"
    user="$(podman image inspect --format '{{.Config.User}}' "$image")"
    uid="$(podman exec "$RUN_ID-$service" id -u 2>/dev/null || echo "?")"
    if [[ -n $user && ${user%%:*} != 0 && ${user%%:*} != root && $uid != 0 && $uid != "?" ]]; then
      pass "$service: runs as a non-root user (USER $user, uid $uid)"
    else
      fail "$service: non-root" "USER '$user', running as uid $uid"
    fi
    # Sources, toolchains, .env files, private keys (the public CA certificates
    # under /etc/ssl are expected).
    found="$(podman run --rm --network none --user 0 --entrypoint sh "$image" -c 'find / -xdev \( -name "*.rs" \
      -o -name Cargo.toml -o -name Cargo.lock -o -name .env -o -name ".git" -o -name "*.key" -o -name "id_rsa*" \
      -o -path /src -o -path /usr/local/cargo -o -path /usr/local/rustup \) -print 2>/dev/null | head -5
      grep -rlsE "BEGIN ([A-Z]+ )?PRIVATE KEY" /etc /usr/local /opt /srv /root /home /tmp /var | head -5' \
      2>>"$STATE/podman.log")"
    found+="$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" \
      | grep -iE '^[^=]*(PASSWORD|SECRET|TOKEN|KEY)[^=]*=' || true)"
    if [[ -z $found ]]; then
      pass "$service: no secret, .env or source tree in the image"
    else
      fail "$service: secrets and sources" "${found//$'\n'/ }"
    fi
    size=$(($(podman image inspect --format '{{.Size}}' "$image") / 1000000))
    printf '%-36s %4s MB\n' "$image" "$size" >>"$STATE/sizes.txt"
    if ((size <= MAX_IMAGE_MB)); then
      pass "$service: image size $size MB (target at most $MAX_IMAGE_MB MB)"
    else
      fail "$service: image size" "$size MB, more than $MAX_IMAGE_MB MB"
    fi
  done
}

# Debian's docker-compose, through podman's Docker-compatible API: the compose
# file renders, and every image it names is one this check built.
compose_names_built_images() {
  podman system service --time=0 "unix://$SOCKET" >"$STATE/podman-service.log" 2>&1 &
  SERVICE_PID=$!
  local i image images missing=()
  for ((i = 0; i < 50; i++)); do [[ -S $SOCKET ]] && break; sleep 0.2; done
  export DOCKER_HOST="unix://$SOCKET"
  # The passwords `make up` writes into project/.env: any value renders.
  compose() {
    MONGO_PASSWORD=x POSTGRES_PASSWORD=x RABBITMQ_BROKER_PASSWORD=x RABBITMQ_LISTENER_PASSWORD=x \
      RABBITMQ_LOGGER_PASSWORD=x RABBITMQ_AUTHENTICATION_PASSWORD=x RABBITMQ_MAIL_PASSWORD=x JWT_PRIVATE_KEY=x \
      NATS_BROKER_PASSWORD=x NATS_LOGGER_PASSWORD=x NATS_AUTHENTICATION_PASSWORD=x NATS_MAIL_PASSWORD=x \
      NATS_LISTENER_PASSWORD=x docker-compose -p "$RUN_ID" -f "$ROOT/project/docker-compose.yml" "$@"
  }
  if ! compose ps >"$STATE/compose-ps.log" 2>&1; then
    fail "docker-compose" "cannot talk to podman at $DOCKER_HOST: $(tail -2 "$STATE/compose-ps.log" | tr '\n' ' ')"
    return 0
  fi
  images="$(compose config 2>"$STATE/compose-config.log" | sed -n 's/^ *image: *\(flexiconnect\/.*\)$/\1/p' | sort -u)" || true
  [[ -n $images ]] || { fail "docker-compose config" "no flexiconnect image in the rendered file: $(tail -3 "$STATE/compose-config.log" | tr '\n' ' ')"; return 0; }
  for image in $images; do
    docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
  done
  if ((${#missing[@]} == 0 && $(wc -w <<<"$images") == ${#SERVICES[@]})); then
    pass "docker-compose (via podman's API) renders project/docker-compose.yml; its $(wc -w <<<"$images") images are the ones built: ${images//$'\n'/ }"
  else
    fail "docker-compose config" "images ${images//$'\n'/ }; not built: ${missing[*]:-none}"
  fi
}

run_and_check() {
  trap cleanup_containers EXIT
  : >"$STATE/sizes.txt"
  : >"$STATE/podman.log"
  cleanup_containers
  start_services
  local service
  for service in "${SERVICES[@]}"; do healthy "$service" 90 || true; done
  if ((${#FAILED[@]} == 0)); then calls; fi
  inspect_images
  compose_names_built_images
  log "the runtime images' sizes:"
  cat "$STATE/sizes.txt"
  if ((${#FAILED[@]})); then
    local service
    for service in "${SERVICES[@]}"; do podman logs --tail 20 "$RUN_ID-$service" >"$STATE/$service.log" 2>&1 || true; done
    die "${#FAILED[@]} failed: $(printf '%s; ' "${FAILED[@]}")the containers' last lines are in $STATE/<service>.log"
  fi
  log "every check passed"
}
