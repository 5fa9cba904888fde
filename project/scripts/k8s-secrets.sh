#!/usr/bin/env bash
# Creates the Secret flexi-secrets the Kubernetes manifests read, once, with
# random passwords. An existing Secret is kept; one made before RabbitMQ or
# NATS had a user per service gets those users added (its other passwords are
# kept).
set -euo pipefail

NAMESPACE="${NAMESPACE:-flexiconnect}"
USERS_SCRIPT="$(dirname "$0")/rabbitmq-users.sh"
random() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }
# Letters only: NATS reads its users' passwords from the environment as values
# of its configuration, where a leading digit would make one a number.
letters() { head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z' | head -c 24; }

# NATS: one user per service (project/nats/nats.conf), a random password each,
# read by the server and by the service.
NATS=()
for user in broker logger authentication mail listener; do
  NATS+=(--from-literal="nats-$user-password=$(letters)")
done

# RabbitMQ: one user per service (rabbitmq-users.sh), random passwords; the
# definitions (their hashes) and each service's AMQP URL are made together.
rabbitmq_literals() {
  local user
  for user in broker listener logger authentication mail; do
    export "RABBITMQ_${user^^}_PASSWORD=$(random)"
  done
  RABBITMQ=(--from-literal=rabbitmq-definitions="$("$USERS_SCRIPT" definitions)")
  for user in broker listener logger authentication mail; do
    RABBITMQ+=(--from-literal="$user-amqp-url=$("$USERS_SCRIPT" url "$user")")
  done
}

if kubectl -n "$NAMESPACE" get secret flexi-secrets >/dev/null 2>&1; then
  if [[ -z "$(kubectl -n "$NAMESPACE" get secret flexi-secrets -o jsonpath='{.data.jwt-private-key}')" ]]; then
    data="$(kubectl create secret generic flexi-secrets --dry-run=client -o jsonpath='{.data}' \
      --from-literal=jwt-private-key="$("$(dirname "$0")/jwt-key.sh")")"
    kubectl -n "$NAMESPACE" patch secret flexi-secrets --type merge -p "{\"data\":$data}"
    echo "secret flexi-secrets: the token signing key added"
  fi
  if [[ -z "$(kubectl -n "$NAMESPACE" get secret flexi-secrets -o jsonpath='{.data.nats-broker-password}')" ]]; then
    data="$(kubectl create secret generic flexi-secrets --dry-run=client -o jsonpath='{.data}' "${NATS[@]}")"
    kubectl -n "$NAMESPACE" patch secret flexi-secrets --type merge -p "{\"data\":$data}"
    echo "secret flexi-secrets: NATS's users added"
  fi
  if [[ -n "$(kubectl -n "$NAMESPACE" get secret flexi-secrets -o jsonpath='{.data.rabbitmq-definitions}')" ]]; then
    echo "secret flexi-secrets: exists, kept"
    exit 0
  fi
  rabbitmq_literals
  data="$(kubectl create secret generic flexi-secrets --dry-run=client -o jsonpath='{.data}' "${RABBITMQ[@]}")"
  kubectl -n "$NAMESPACE" patch secret flexi-secrets --type merge -p "{\"data\":$data}"
  echo "secret flexi-secrets: RabbitMQ's users added"
  exit 0
fi
kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"
password="$(random)"
rabbitmq_literals
kubectl -n "$NAMESPACE" create secret generic flexi-secrets \
  --from-literal=postgres-password="$password" \
  --from-literal=auth-dsn="postgres://postgres:${password}@postgres:5432/users" \
  --from-literal=mongo-password="$(random)" \
  --from-literal=seed-password="${SEED_PASSWORD:-verysecret}" \
  --from-literal=mail-password="${MAIL_PASSWORD:-}" \
  --from-literal=jwt-private-key="$("$(dirname "$0")/jwt-key.sh")" \
  "${RABBITMQ[@]}" "${NATS[@]}"
echo "secret flexi-secrets: created"
