#!/usr/bin/env bash
# Installs the pinned moto server (a real AWS KMS API on loopback, for the KMS key source's tests)
# into its own virtualenv, unless it is already there.
# Last stdout line: absolute path of `moto_server`. Logs go to stderr.
#
# Cache: $SEALED_MOTO_VENV, default ~/.cache/temporal-sealed-fields/moto-<version> (reused when present).
# Only PyPI is used (pip install moto[server]==VERSION).
set -euo pipefail

VERSION=5.2.5
VENV="${SEALED_MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/temporal-sealed-fields/moto-$VERSION}"
log() { echo "install-moto: $*" >&2; }

# Succeeds when the venv holds moto $VERSION with its server entry point (and flask, which server mode needs).
ready() {
  [ -x "$VENV/bin/moto_server" ] && [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - "$VERSION" <<'PY' 2>/dev/null
import importlib.metadata as m, sys
assert m.version("moto") == sys.argv[1]
import flask, werkzeug, cryptography  # noqa: F401  (server mode and KMS need them)
PY
}

if ready; then log "found moto $VERSION in $VENV"; echo "$VENV/bin/moto_server"; exit 0; fi

command -v python3 >/dev/null || { log "python3 is needed"; exit 1; }
# One installer at a time (test files may call this script concurrently).
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
if command -v flock >/dev/null; then flock 9; fi
if ready; then log "found moto $VERSION in $VENV"; echo "$VENV/bin/moto_server"; exit 0; fi

rm -rf "$VENV"
log "creating virtualenv $VENV"
python3 -m venv "$VENV" >&2
log "pip install moto[server]==$VERSION"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input "moto[server]==$VERSION" >&2
if ready; then echo "$VENV/bin/moto_server"; exit 0; fi
log "could not install moto $VERSION"
exit 1
