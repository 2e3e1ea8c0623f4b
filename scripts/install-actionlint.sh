#!/usr/bin/env bash
# Make actionlint (the GitHub Actions workflow linter, https://github.com/rhysd/actionlint) usable
# and print the path of its binary. .ci/run lints .github/workflows/ with it; actionlint runs
# Debian's shellcheck (/usr/bin/shellcheck) on every `run:` block when it is on PATH.
#
#   "$(bash scripts/install-actionlint.sh)" -shellcheck=shellcheck .github/workflows/*.yml
#
# Built once from the Go module proxy (github.com/rhysd/actionlint/cmd/actionlint@<version>) and
# cached in ~/.cache/pulumi-healthimaging/actionlint-v<version>/ (PULUMI_HI_CACHE), beside the
# Go module and build caches scripts/install-pulumi.sh uses. Progress on stderr.
set -euo pipefail

VERSION=1.7.12
log() { echo "[install-actionlint] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

CACHE_ROOT="${PULUMI_HI_CACHE:-$HOME/.cache/pulumi-healthimaging}"
DEST="$CACHE_ROOT/actionlint-v$VERSION"
works() { [[ -x "$DEST/actionlint" ]] && "$DEST/actionlint" --version 2>/dev/null | head -n1 | grep -qx "v$VERSION"; }
if works; then
  echo "$DEST/actionlint"
  exit 0
fi

GO="${GO:-$(command -v go || true)}"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go; fi
if [[ -z "$GO" ]] || ! "$GO" version >/dev/null 2>&1; then
  die "no Go toolchain to build actionlint v$VERSION (install Go >= 1.24 or set GO=/path/to/go)"
fi

mkdir -p "$CACHE_ROOT"
STAGE="$(mktemp -d "$CACHE_ROOT/.actionlint-v$VERSION.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
export GOMODCACHE="$CACHE_ROOT/go-mod" GOCACHE="$CACHE_ROOT/go-build" GOBIN="$STAGE"
export GOTOOLCHAIN=local GOFLAGS="-modcacherw" CGO_ENABLED=0 GOWORK=off
log "building github.com/rhysd/actionlint/cmd/actionlint@v$VERSION with $("$GO" env GOVERSION)"
"$GO" install -ldflags "-s -w -X github.com/rhysd/actionlint.version=v$VERSION" "github.com/rhysd/actionlint/cmd/actionlint@v$VERSION" >&2
chmod 0755 "$STAGE"
rm -rf "$DEST"
mv -T "$STAGE" "$DEST"
trap - EXIT
works || die "the built actionlint does not report v$VERSION"
log "installed actionlint v$VERSION in $DEST"
echo "$DEST/actionlint"
