#!/usr/bin/env bash
# Creates the Swarm secrets swarm.yml expects, once, with random passwords.
# Existing secrets are kept (Swarm secrets cannot be changed in place).
set -euo pipefail

random() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }
exists() { docker secret inspect "$1" >/dev/null 2>&1; }

create() { # name value
  if exists "$1"; then
    echo "secret $1: exists, kept"
  else
    printf '%s' "$2" | docker secret create "$1" - >/dev/null
    echo "secret $1: created"
  fi
}

# Postgres's password and the authentication service's DSN must agree: they are
# made together, or both kept.
if exists postgres_password && exists auth_dsn; then
  echo "secrets postgres_password, auth_dsn: exist, kept"
elif exists postgres_password || exists auth_dsn; then
  echo "only one of postgres_password and auth_dsn exists; remove it (docker secret rm) and rerun" >&2
  exit 1
else
  password="$(random)"
  create postgres_password "$password"
  create auth_dsn "postgres://postgres:${password}@postgres:5432/users"
fi
create mongo_password "$(random)"
create seed_password "${SEED_PASSWORD:-verysecret}"
create mail_password "${MAIL_PASSWORD:-}"
