#!/usr/bin/env bash
# Installs PostgreSQL's server binaries (Debian's `postgresql` package, version 15 on these machines) unless
# they are already there, for the PostgreSQL subject key store's tests (test/support/postgres.ts starts a
# throwaway cluster from them: initdb in a temp dir as a non-root user, loopback only).
# Last stdout line: the bin directory (holding initdb and postgres), e.g. /usr/lib/postgresql/15/bin. Logs go to stderr.
#
# $POSTGRES_BIN_DIR, when set and holding initdb and postgres, is used as is. Otherwise the newest
# /usr/lib/postgresql/<major>/bin is used. Only Debian's archive is used (apt-get), and `apt-get update`
# runs only when the binaries are missing.
set -euo pipefail

log() { echo "install-postgres: $*" >&2; }

usable() { [ -n "${1:-}" ] && [ -x "$1/initdb" ] && [ -x "$1/postgres" ] && [ -x "$1/pg_ctl" ]; }

# The newest installed major's bin directory, or nothing.
installed() {
  local dir best=""
  for dir in /usr/lib/postgresql/*/bin; do
    usable "$dir" || continue
    if [ -z "$best" ] || [ "$(basename "$(dirname "$dir")")" -gt "$(basename "$(dirname "$best")")" ] 2>/dev/null; then best="$dir"; fi
  done
  [ -n "$best" ] && echo "$best"
}

if usable "${POSTGRES_BIN_DIR:-}"; then log "using POSTGRES_BIN_DIR"; echo "$POSTGRES_BIN_DIR"; exit 0; fi
if found="$(installed)"; then log "found $found"; echo "$found"; exit 0; fi

command -v apt-get >/dev/null || { log "PostgreSQL is missing and apt-get is not available: install PostgreSQL and set POSTGRES_BIN_DIR"; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { log "PostgreSQL is missing: run as root or install the postgresql package"; exit 1; }
  sudo="sudo"
fi
# One installer at a time (test files may call this script concurrently).
lock="${XDG_CACHE_HOME:-$HOME/.cache}/temporal-sealed-fields/install-postgres.lock"
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
if command -v flock >/dev/null; then flock 9; fi
if found="$(installed)"; then log "found $found"; echo "$found"; exit 0; fi

log "apt-get install postgresql"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends postgresql >&2
if found="$(installed)"; then echo "$found"; exit 0; fi
log "could not install PostgreSQL"
exit 1
