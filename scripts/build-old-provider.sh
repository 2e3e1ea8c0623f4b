#!/usr/bin/env bash
# Build the provider package (provider/) as it stood at an earlier commit, `npm pack` it, and print
# the tarball's path on stdout. Used by the upgrade test (test/e2e/dataset-per-cohort.test.ts) to
# make a stack with a released version (0.2.0 is commit cf473ca) before upgrading it in place.
#
#   bash scripts/build-old-provider.sh cf473ca
#
# The sources come from git history (`git archive <commit> provider tsconfig.base.json`), so the
# commit must be in this clone: a shallow clone fails with a message saying how to fetch it.
# They are compiled with this repository's TypeScript against its node_modules (the same
# dependencies: the upgrade test checks the old package's ranges against them), then packed with
# `npm pack --ignore-scripts` (the prepack step is this compile).
# Cached by full commit hash in $PULUMI_HI_CACHE (default ~/.cache/pulumi-healthimaging)/
# old-provider/<commit>/: the first build takes a few seconds (tsc), later runs only print the path.
# Progress and errors go to stderr.
set -euo pipefail

log() { echo "[build-old-provider] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: bash scripts/build-old-provider.sh <commit>"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TSC="$REPO_ROOT/node_modules/typescript/bin/tsc"
command -v node >/dev/null || die "node is not on PATH"
command -v npm >/dev/null || die "npm is not on PATH"
[[ -f "$TSC" ]] || die "$TSC not found; run 'npm ci' in $REPO_ROOT first"

if ! COMMIT="$(git -C "$REPO_ROOT" rev-parse --verify --quiet "$1^{commit}")"; then
  shallow=""
  if [[ "$(git -C "$REPO_ROOT" rev-parse --is-shallow-repository 2>/dev/null)" == "true" ]]; then
    shallow=" This is a shallow clone: run 'git fetch --unshallow' (or clone with full history, e.g. actions/checkout with fetch-depth: 0)."
  fi
  die "commit $1 is not in the git history of $REPO_ROOT, so the provider as it stood there cannot be built.$shallow"
fi

CACHE_ROOT="${PULUMI_HI_CACHE:-$HOME/.cache/pulumi-healthimaging}"
DEST="$CACHE_ROOT/old-provider/$COMMIT"
cached() { compgen -G "$DEST/pulumi-healthimaging-*.tgz" | head -n1; }

if tarball="$(cached)" && [[ -n "$tarball" ]]; then
  log "using cached build of provider/ at ${COMMIT:0:12}"
  echo "$tarball"
  exit 0
fi

mkdir -p "$CACHE_ROOT/old-provider"
# Serialise concurrent runs on the same cache.
if command -v flock >/dev/null; then
  exec 9>"$CACHE_ROOT/old-provider/.build.lock"
  flock 9
  if tarball="$(cached)" && [[ -n "$tarball" ]]; then echo "$tarball"; exit 0; fi
fi

# Built in a temporary directory next to DEST, renamed into place when complete.
STAGE="$(mktemp -d "$CACHE_ROOT/old-provider/.build.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 0755 "$STAGE"

t0=$SECONDS
log "building provider/ at ${COMMIT:0:12} ($(git -C "$REPO_ROOT" log -1 --format=%s "$COMMIT" | cut -c1-80))"
mkdir "$STAGE/src"
git -C "$REPO_ROOT" archive "$COMMIT" provider tsconfig.base.json | tar -x -C "$STAGE/src"
# the dependencies it compiles against (types of @pulumi/pulumi, the AWS SDK, node)
ln -s "$REPO_ROOT/node_modules" "$STAGE/src/node_modules"
node "$TSC" -p "$STAGE/src/provider/tsconfig.json" >&2 || die "tsc failed on provider/ at ${COMMIT:0:12} (with the TypeScript of $REPO_ROOT)"
packed="$(cd "$STAGE/src/provider" && npm pack --ignore-scripts --silent --pack-destination "$STAGE")" || die "npm pack failed"
[[ -f "$STAGE/$packed" ]] || die "npm pack made no $packed"

mkdir "$STAGE/out"
mv "$STAGE/$packed" "$STAGE/out/"
cat >"$STAGE/out/BUILD-INFO" <<EOF
provider/ at $COMMIT ($(git -C "$REPO_ROOT" log -1 --format='%ci %s' "$COMMIT" | cut -c1-100))
typescript: $(node -p 'require(process.argv[1]).version' "$REPO_ROOT/node_modules/typescript/package.json")
node: $(node --version), npm: $(npm --version)
built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - t0)) s
EOF
rm -rf "$DEST"
mv -T "$STAGE/out" "$DEST"
log "packed $packed in $((SECONDS - t0)) s: $DEST"
echo "$DEST/$packed"
