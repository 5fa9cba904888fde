#!/usr/bin/env bash
# RabbitMQ's users in compose, Swarm and Kubernetes: one per service (broker,
# listener, logger, authentication, mail), with the permissions of
# project/rabbitmq/definitions.json and no `guest`.
#
#   rabbitmq-users.sh definitions   the definitions RabbitMQ imports at boot, each
#                                   user's {{name}} replaced by its password's hash
#   rabbitmq-users.sh url SERVICE   SERVICE's AMQP_URL (amqp://SERVICE:…@rabbitmq:5672/%2f)
#
# Each user's password is RABBITMQ_<USER>_PASSWORD (RABBITMQ_BROKER_PASSWORD, …),
# letters and digits (it is put into a URL as it is). AMQP_HOST changes the host
# of `url`. Only bash and coreutils are needed (no RabbitMQ, no Docker).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEMPLATE="$ROOT/project/rabbitmq/definitions.json"
USERS=(broker listener logger authentication mail)

password() { # user
  local var="RABBITMQ_${1^^}_PASSWORD"
  if [[ ! "${!var:-}" =~ ^[A-Za-z0-9]+$ ]]; then
    echo "$var must be set to letters and digits" >&2
    exit 1
  fi
  printf '%s' "${!var}"
}

bytes() { # hex → the bytes it spells
  printf "$(sed 's/../\\x&/g' <<<"$1")"
}

# RabbitMQ's rabbit_password_hashing_sha256: base64(salt ‖ SHA-256(salt ‖ password))
# with a random 4-byte salt.
hash() { # password
  local salt digest
  salt="$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  digest="$({ bytes "$salt"; printf '%s' "$1"; } | sha256sum | cut -c1-64)"
  { bytes "$salt"; bytes "$digest"; } | base64 -w0
}

definitions() {
  local script=() user
  for user in "${USERS[@]}"; do
    script+=(-e "s|{{$user}}|$(hash "$(password "$user")")|")
  done
  sed "${script[@]}" "$TEMPLATE"
}

url() { # service
  local user=$1
  [[ " ${USERS[*]} " == *" $user "* ]] || { echo "no RabbitMQ user $user" >&2; exit 2; }
  printf 'amqp://%s:%s@%s:5672/%%2f' "$user" "$(password "$user")" "${AMQP_HOST:-rabbitmq}"
}

case "${1:-}" in
  definitions) definitions ;;
  url) url "${2:?url SERVICE}" ;;
  *) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
