# stack.sh's infrastructure: Postgres, RabbitMQ, NATS with JetStream, the
# Mongo-wire server and the SMTP catcher, each reused when something listens on its port, else installed
# and started (and recorded in $STARTED, for infra-down). Sourced by stack.sh,
# whose variables and helpers (log, die, wait_for_port, apt_install) it uses.

start_postgres() {
  if listening "$POSTGRES_PORT"; then log "postgres: reusing :$POSTGRES_PORT"; return; fi
  command -v pg_ctlcluster >/dev/null || { log "postgres: installing"; apt_install postgresql; }
  local version
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  [[ -n $version ]] || die "postgres: no cluster in /etc/postgresql"
  log "postgres: starting cluster $version/main"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for_port "$POSTGRES_PORT" postgres 60
  # A password for TCP logins (Debian's default is scram for 127.0.0.1).
  as_root runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'password'" >/dev/null
  mark_started "postgres $version"
}

start_rabbitmq() {
  if listening "$RABBITMQ_PORT"; then log "rabbitmq: reusing :$RABBITMQ_PORT"; return; fi
  command -v rabbitmq-server >/dev/null || { log "rabbitmq: installing"; apt_install rabbitmq-server; }
  log "rabbitmq: starting"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for_port "$RABBITMQ_PORT" rabbitmq 120
  mark_started "rabbitmq"
}

start_nats() {
  if listening "$NATS_PORT"; then log "nats: reusing :$NATS_PORT (it must have JetStream on)"; return; fi
  command -v nats-server >/dev/null || { log "nats: installing"; apt_install nats-server; }
  mkdir -p "$STACK_DIR/data/nats"
  log "nats: starting nats-server with JetStream on :$NATS_PORT (store $STACK_DIR/data/nats)"
  nohup nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$STACK_DIR/data/nats" \
    >"$LOGS/nats.log" 2>&1 &
  echo $! >"$PIDS/nats.pid"
  wait_for_port "$NATS_PORT" nats 60
  mark_started "nats"
}

start_mongo() {
  if listening "$MONGO_PORT"; then log "mongo-wire: reusing :$MONGO_PORT"; return; fi
  if ! command -v secantusd-py >/dev/null; then
    log "mongo-wire: installing SecantusDB from PyPI"
    python3 -m pip install --quiet SecantusDB || die "pip install SecantusDB failed"
    hash -r
  fi
  mkdir -p "$STACK_DIR/data/mongo"
  log "mongo-wire: starting SecantusDB on :$MONGO_PORT"
  nohup secantusd-py --standalone --host 127.0.0.1 --port "$MONGO_PORT" \
    --storage-path "$STACK_DIR/data/mongo" --log-level WARNING \
    >"$LOGS/mongo.log" 2>&1 &
  echo $! >"$PIDS/mongo.pid"
  wait_for_port "$MONGO_PORT" mongo-wire 60
  mark_started "mongo"
}

start_smtp() {
  if listening "$SMTP_PORT"; then log "smtp catcher: reusing :$SMTP_PORT"; return; fi
  command -v npm >/dev/null || { log "smtp catcher: installing Node.js"; apt_install nodejs npm; }
  local bin="$TOOLS/node_modules/maildev/bin/maildev"
  if [[ ! -x $bin ]]; then
    log "smtp catcher: installing MailDev $MAILDEV_VERSION from npm"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "maildev@$MAILDEV_VERSION" >/dev/null
  fi
  log "smtp catcher: starting MailDev (SMTP :$SMTP_PORT, web :$MAILDEV_PORT)"
  nohup node "$bin" --ip 127.0.0.1 --smtp "$SMTP_PORT" --web "$MAILDEV_PORT" \
    >"$LOGS/maildev.log" 2>&1 &
  echo $! >"$PIDS/maildev.pid"
  wait_for_port "$SMTP_PORT" maildev 60
  wait_for_port "$MAILDEV_PORT" maildev 60
  mark_started "maildev"
}

infra_up() {
  mkdir -p "$PIDS" "$LOGS"
  start_postgres
  start_rabbitmq
  start_nats
  start_mongo
  start_smtp
}

stop_pid() { # name
  local file="$PIDS/$1.pid" pid i
  [[ -f $file ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { log "$1: still running; killing"; kill -KILL "$pid" 2>/dev/null || true; }
    log "$1: stopped"
  fi
  rm -f "$file"
}

infra_down() {
  [[ -f $STARTED ]] || { log "no infrastructure was started by this stack"; return 0; }
  local line
  while read -r line; do
    case "$line" in
      mongo) stop_pid mongo ;;
      nats) stop_pid nats ;;
      maildev) stop_pid maildev ;;
      rabbitmq) as_root rabbitmqctl stop >/dev/null 2>&1 || true; log "rabbitmq: stopped" ;;
      postgres\ *) as_root pg_ctlcluster --skip-systemctl-redirect "${line#postgres }" main stop || true; log "postgres: stopped" ;;
    esac
  done <"$STARTED"
  rm -f "$STARTED"
}
