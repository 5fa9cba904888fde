#!/usr/bin/env bash
# Creates the Swarm secrets swarm.yml expects, once, with random passwords.
# Existing secrets are kept (Swarm secrets cannot be changed in place).
set -euo pipefail

random() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }
# Letters only: NATS reads its users' passwords from the environment as values
# of its configuration, where a leading digit would make one a number.
letters() { head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z' | head -c 24; }
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
create jwt_private_key "$("$(dirname "$0")/jwt-key.sh")"

# RabbitMQ: one user per service (rabbitmq-users.sh). The definitions (their
# password hashes) and each service's AMQP URL must agree: they are made
# together, or all kept.
rabbitmq_secrets=(rabbitmq_definitions broker_amqp_url listener_amqp_url logger_amqp_url
  authentication_amqp_url mail_amqp_url)
existing=0
for secret in "${rabbitmq_secrets[@]}"; do exists "$secret" && existing=$((existing + 1)); done
if ((existing == ${#rabbitmq_secrets[@]})); then
  echo "secrets ${rabbitmq_secrets[*]}: exist, kept"
elif ((existing > 0)); then
  echo "only some of ${rabbitmq_secrets[*]} exist; remove them (docker secret rm) and rerun" >&2
  exit 1
else
  users="$(dirname "$0")/rabbitmq-users.sh"
  for user in broker listener logger authentication mail; do
    export "RABBITMQ_${user^^}_PASSWORD=$(random)"
  done
  create rabbitmq_definitions "$("$users" definitions)"
  for user in broker listener logger authentication mail; do
    create "${user}_amqp_url" "$("$users" url "$user")"
  done
fi

# NATS: one user per service (project/nats/nats.conf); the server and the
# service read the same secret, so each is made or kept on its own.
for user in broker logger authentication mail listener; do
  create "nats_${user}_password" "$(letters)"
done

# MailHog's UI, behind Caddy's basic auth: the bcrypt hash of MAILHOG_PASSWORD (a
# random one, printed once, when unset), made by Caddy's own image.
if exists mailhog_password_hash; then
  echo "secret mailhog_password_hash: exists, kept"
else
  password="${MAILHOG_PASSWORD:-$(random)}"
  create mailhog_password_hash "$(docker run --rm caddy:2-alpine caddy hash-password --plaintext "$password")"
  [[ -n "${MAILHOG_PASSWORD:-}" ]] ||
    echo "caught mail: http://mail.localhost, user mailhog, password $password (shown once)"
fi
