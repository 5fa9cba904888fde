#!/usr/bin/env bash
# What project/docker-compose.yml reads and nothing commits:
# - project/.env: a random password for Postgres, MongoDB, and the RabbitMQ
#   and NATS users of each service, and the key tokens are signed with, each
#   added when missing and then kept (mode 600);
# - project/.rabbitmq-definitions.json: RabbitMQ's users with those passwords'
#   salted hashes and their permissions (rabbitmq-users.sh), written again on
#   every run (mode 644: RabbitMQ in its container reads it; it holds no password).
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$PROJECT/.env"
DEFINITIONS="$PROJECT/.rabbitmq-definitions.json"
random() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }
# Letters only: NATS reads its users' passwords from the environment as values
# of its configuration, where a leading digit would make one a number.
letters() { head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z' | head -c 24; }

(umask 077 && touch "$ENV_FILE")
for var in POSTGRES_PASSWORD MONGO_PASSWORD RABBITMQ_BROKER_PASSWORD RABBITMQ_LISTENER_PASSWORD \
  RABBITMQ_LOGGER_PASSWORD RABBITMQ_AUTHENTICATION_PASSWORD RABBITMQ_MAIL_PASSWORD; do
  if ! grep -q "^$var=" "$ENV_FILE"; then
    echo "$var=$(random)" >>"$ENV_FILE"
    echo "$ENV_FILE: added a random $var (not committed)"
  fi
done
for var in NATS_BROKER_PASSWORD NATS_LOGGER_PASSWORD NATS_AUTHENTICATION_PASSWORD \
  NATS_MAIL_PASSWORD NATS_LISTENER_PASSWORD; do
  if ! grep -q "^$var=" "$ENV_FILE"; then
    echo "$var=$(letters)" >>"$ENV_FILE"
    echo "$ENV_FILE: added a random $var (not committed)"
  fi
done

if ! grep -q "^JWT_PRIVATE_KEY=" "$ENV_FILE"; then
  echo "JWT_PRIVATE_KEY=$("$PROJECT/scripts/jwt-key.sh")" >>"$ENV_FILE"
  echo "$ENV_FILE: added a JWT_PRIVATE_KEY (not committed)"
fi

set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
(umask 022 && "$PROJECT/scripts/rabbitmq-users.sh" definitions >"$DEFINITIONS.tmp")
mv "$DEFINITIONS.tmp" "$DEFINITIONS"
