#!/usr/bin/env bash
# Runs a command with the pinned Temporal CLI, the pinned moto server (a KMS API for the KMS key
# source's tests), Debian's PostgreSQL server binaries (the PostgreSQL subject key store's tests) and,
# with --chromium, Debian's Chromium installed, their paths exported as TEMPORAL_CLI_PATH,
# MOTO_SERVER_PATH, POSTGRES_BIN_DIR and CHROMIUM_PATH. Installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

with_chromium=false
if [ "${1:-}" = "--chromium" ]; then
  with_chromium=true
  shift
fi

TEMPORAL_CLI_PATH="$(bash scripts/install-temporal.sh | tail -n1)"
export TEMPORAL_CLI_PATH
MOTO_SERVER_PATH="$(bash scripts/install-moto.sh | tail -n1)"
export MOTO_SERVER_PATH
POSTGRES_BIN_DIR="$(bash scripts/install-postgres.sh | tail -n1)"
export POSTGRES_BIN_DIR
if [ "$with_chromium" = true ]; then
  CHROMIUM_PATH="$(bash scripts/install-chromium.sh | tail -n1)"
  export CHROMIUM_PATH
fi
exec "$@"
