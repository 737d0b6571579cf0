#!/usr/bin/env bash
# Installs Debian's chromium unless present (playwright's own download cannot work offline).
# Last stdout line: path of the chromium launcher. Logs go to stderr.
set -euo pipefail
log() { echo "install-chromium: $*" >&2; }

if ! command -v chromium >/dev/null; then
  log "apt-get install chromium"
  # Only root can apt-get; use sudo when it exists and we are not root.
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
fi
command -v chromium
