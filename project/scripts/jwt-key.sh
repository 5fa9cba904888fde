#!/usr/bin/env bash
# Prints a new Ed25519 private key for authentication's JWT_PRIVATE_KEY: PKCS#8
# DER (RFC 8410's 16-byte prefix, then a random 32-byte seed) in base64 on one
# line, as an environment file or a secret holds it. Used by compose-env.sh,
# swarm-secrets.sh, k8s-secrets.sh and the container check.
set -euo pipefail
{ printf '\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20'; head -c 32 /dev/urandom; } | base64 -w0
