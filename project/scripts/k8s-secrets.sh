#!/usr/bin/env bash
# Creates the Secret flexi-secrets the Kubernetes manifests read, once, with
# random passwords. An existing Secret is kept.
set -euo pipefail

NAMESPACE="${NAMESPACE:-flexiconnect}"
random() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }

if kubectl -n "$NAMESPACE" get secret flexi-secrets >/dev/null 2>&1; then
  echo "secret flexi-secrets: exists, kept"
  exit 0
fi
kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"
password="$(random)"
kubectl -n "$NAMESPACE" create secret generic flexi-secrets \
  --from-literal=postgres-password="$password" \
  --from-literal=auth-dsn="postgres://postgres:${password}@postgres:5432/users" \
  --from-literal=mongo-password="$(random)" \
  --from-literal=seed-password="${SEED_PASSWORD:-verysecret}" \
  --from-literal=mail-password="${MAIL_PASSWORD:-}"
echo "secret flexi-secrets: created"
