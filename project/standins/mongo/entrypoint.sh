#!/bin/sh
# The official mongo image's first start, in short: with
# MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD, an empty /data/db
# gets that user (role root, database admin), made by a server listening on
# loopback only; then the server runs with authentication on, on every address.
set -eu
DATA=/data/db
serve() { exec secantusd-py --standalone --storage-path "$DATA" --log-level WARNING "$@"; }
if [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ] && [ ! -e "$DATA/.standin-initialized" ]; then
  [ -n "${MONGO_INITDB_ROOT_PASSWORD:-}" ] || { echo "standin-mongo: MONGO_INITDB_ROOT_PASSWORD is not set" >&2; exit 1; }
  (serve --host 127.0.0.1 --port 27018) &
  init=$!
  python3 - <<'PY'
import os, pymongo
client = pymongo.MongoClient("mongodb://127.0.0.1:27018", serverSelectionTimeoutMS=60000)
client.admin.command("createUser", os.environ["MONGO_INITDB_ROOT_USERNAME"],
                     pwd=os.environ["MONGO_INITDB_ROOT_PASSWORD"], roles=[{"role": "root", "db": "admin"}])
PY
  kill -TERM "$init"
  wait "$init" || true
  touch "$DATA/.standin-initialized"
  echo "standin-mongo: made the root user $MONGO_INITDB_ROOT_USERNAME"
fi
if [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ]; then serve --auth --host 0.0.0.0 --port 27017; fi
serve --host 0.0.0.0 --port 27017
