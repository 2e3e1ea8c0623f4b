#!/usr/bin/env bash
# Install Verdaccio (a private npm registry, https://verdaccio.org) outside the repository and print
# the path of its `verdaccio` command. test/e2e/registry.test.ts publishes both packages to one
# (test/support/registry.ts) and installs them from it as a user would from npm.
#
# The exact dependency tree is pinned by scripts/verdaccio/package.json and package-lock.json
# (installed with `npm ci` from the npm registry); the cache entry
# ~/.cache/pulumi-healthimaging/verdaccio-<hash>/ (PULUMI_HI_CACHE) is named by their hash, so a
# changed pin installs afresh. Progress on stderr.
set -euo pipefail

log() { echo "[install-verdaccio] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PIN="$(cd "$(dirname "${BASH_SOURCE[0]}")/verdaccio" && pwd)"
command -v npm >/dev/null || die "npm is not on PATH"
HASH="$(cat "$PIN/package.json" "$PIN/package-lock.json" | sha256sum | cut -c1-12)"
CACHE_ROOT="${PULUMI_HI_CACHE:-$HOME/.cache/pulumi-healthimaging}"
DEST="$CACHE_ROOT/verdaccio-$HASH"
BIN="$DEST/node_modules/.bin/verdaccio"
if [[ -x "$BIN" && -f "$DEST/node_modules/verdaccio/package.json" ]]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
STAGE="$(mktemp -d "$CACHE_ROOT/.verdaccio-$HASH.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
cp "$PIN/package.json" "$PIN/package-lock.json" "$STAGE/"
log "npm ci of verdaccio $(node -p 'require(process.argv[1]).dependencies.verdaccio' "$PIN/package.json") into $DEST"
(cd "$STAGE" && npm ci --no-audit --no-fund --omit=dev --ignore-scripts >&2) || die "npm ci failed"
chmod 0755 "$STAGE"
rm -rf "$DEST"
mv -T "$STAGE" "$DEST"
trap - EXIT
[[ -x "$BIN" ]] || die "$BIN is missing after the install"
log "installed in $DEST"
echo "$BIN"
