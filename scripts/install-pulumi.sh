#!/usr/bin/env bash
# Make a Pulumi CLI usable offline for this repo and print the directory that holds it.
#
#   PATH="$(bash scripts/install-pulumi.sh):$PATH"
#
# The directory contains `pulumi`, `pulumi-language-nodejs` (needed to run a Pulumi.yaml with
# `runtime: nodejs`) and `pulumi-resource-pulumi-nodejs` (needed for dynamic resources).
# Pulumi's download site and GitHub are unreachable here, so the CLI is built from Go modules
# (README.md, "The Pulumi CLI on a fresh machine"). Order of preference:
#   1. a previous build in the cache whose `pulumi version` matches the SDK in node_modules;
#   2. a `pulumi` already on PATH whose version is >= that SDK version;
#   3. a fresh build with Go: needs the Go version in the go.mod of github.com/pulumi/pulumi/pkg/v3
#      at that version (1.26.6 for v3.276.0); the first build takes about 10 minutes on 2 cores
#      (1 min download, 8 compile), later runs reuse the cache (GOMODCACHE/GOCACHE live there too).
# Only the bin directory is printed on stdout; progress goes to stderr (a line at least every
# PROGRESS_EVERY=30 seconds while Go downloads or compiles).
#
# Environment:
#   PULUMI_HI_CACHE              cache root (default ~/.cache/pulumi-healthimaging)
#   PULUMI_HI_LANGUAGE_HOST_REF  commit/version of the language-host module to use instead of
#                                the one derived from the pkg/v3 tag
#   GO                           go binary to use (default: `go` on PATH, else /usr/local/go/bin/go)
#   GOPROXY                      where the go.mod giving the Go version needed is read (as Go does)
set -euo pipefail

log() { echo "[install-pulumi] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=progress.sh disable=SC1091 # checked on its own: shellcheck scripts/progress.sh
source "$REPO_ROOT/scripts/progress.sh"
SDK_DIR="$REPO_ROOT/node_modules/@pulumi/pulumi"
RESOURCE_PLUGIN="$SDK_DIR/pulumi-resource-pulumi-nodejs"

command -v node >/dev/null || die "node is not on PATH"
[[ -f "$SDK_DIR/package.json" ]] || die "$SDK_DIR not found; run 'npm ci' in $REPO_ROOT first"
[[ -f "$RESOURCE_PLUGIN" ]] || die "$RESOURCE_PLUGIN is missing from the installed @pulumi/pulumi"

# The CLI version follows the installed SDK so the two stay in step.
VERSION="$(node -p 'require(process.argv[1]).version' "$SDK_DIR/package.json")"
CACHE_ROOT="${PULUMI_HI_CACHE:-$HOME/.cache/pulumi-healthimaging}"
DEST="$CACHE_ROOT/pulumi-v$VERSION"
BIN="$DEST/bin"

# `pulumi version` must not try to reach the update server.
export PULUMI_SKIP_UPDATE_CHECK=true

# Prints the version of a pulumi binary without the leading "v" (empty if it does not run).
pulumi_version() { "$1" version 2>/dev/null | head -n1 | sed 's/^v//' || true; }

# semver comparison via the `semver` package that @pulumi/pulumi itself depends on.
version_gte() {
  node -e '
    const semver = require(require.resolve("semver", { paths: [process.argv[1]] }));
    process.exit(semver.valid(process.argv[2]) && semver.gte(process.argv[2], process.argv[3]) ? 0 : 1);
  ' "$SDK_DIR" "$1" "$2"
}

cache_ok() {
  [[ -x "$BIN/pulumi" && -x "$BIN/pulumi-language-nodejs" && -x "$BIN/pulumi-resource-pulumi-nodejs" ]] &&
    [[ "$(pulumi_version "$BIN/pulumi")" == "$VERSION" ]]
}

# Finds a plugin the way the CLI does: on PATH, else next to the real path of the pulumi binary.
find_plugin() { # <plugin-name> <pulumi-binary>
  local p
  if p="$(command -v "$1" 2>/dev/null)"; then echo "$p"; return 0; fi
  p="$(dirname "$(readlink -f "$2")")/$1"
  [[ -x "$p" ]] && echo "$p"
}

# 1. Cached build.
if cache_ok; then
  log "using cached Pulumi CLI v$VERSION"
  echo "$BIN"
  exit 0
fi

# 2. A suitable CLI already on PATH.
if ambient="$(command -v pulumi 2>/dev/null)"; then
  ambient_version="$(pulumi_version "$ambient")"
  if [[ -n "$ambient_version" ]] && version_gte "$ambient_version" "$VERSION"; then
    if lang_host="$(find_plugin pulumi-language-nodejs "$ambient")"; then
      if find_plugin pulumi-resource-pulumi-nodejs "$ambient" >/dev/null; then
        log "using pulumi v$ambient_version from PATH ($ambient)"
        dirname "$ambient"
        exit 0
      fi
      # The distribution normally ships the dynamic-provider plugin; if it does not, serve a
      # self-contained directory with links to the ambient binaries plus the SDK's plugin.
      shim="$CACHE_ROOT/path-pulumi/bin"
      mkdir -p "$shim"
      ln -sfn "$(readlink -f "$ambient")" "$shim/pulumi"
      ln -sfn "$(readlink -f "$lang_host")" "$shim/pulumi-language-nodejs"
      install -m 0755 "$RESOURCE_PLUGIN" "$shim/pulumi-resource-pulumi-nodejs"
      log "using pulumi v$ambient_version from PATH ($ambient) with the SDK's dynamic-provider plugin"
      echo "$shim"
      exit 0
    fi
    log "pulumi v$ambient_version on PATH has no pulumi-language-nodejs; building v$VERSION instead"
  else
    log "pulumi on PATH is v${ambient_version:-unknown}, older than v$VERSION; building v$VERSION"
  fi
fi

# 3. Build from Go modules.
PKG_MOD=github.com/pulumi/pulumi/pkg/v3
# Go version in pkg/v3's go.mod, per release, for when that go.mod can be read neither from the
# module cache nor from the proxy (verified: proxy.golang.org's v3.276.0.mod says "go 1.26.6").
KNOWN_GO_VERSIONS="3.276.0=1.26.6"

# known_for <table> <version>: the value a table of "version=value" words gives for the version
# (the last one when it is listed twice), or nothing.
known_for() {
  local kv value=""
  for kv in $1; do
    if [[ "${kv%%=*}" == "$2" ]]; then value="${kv#*=}"; fi
  done
  echo "$value"
}

# The Go version the build needs: the `go` line of pkg/v3's go.mod at $VERSION, read from the
# module cache, else from the module proxy, else the table above; empty when none is known.
required_go_version() {
  local cached="$CACHE_ROOT/go-mod/cache/download/$PKG_MOD/@v/v$VERSION.mod" gomod="" proxy needed=""
  if [[ -f "$cached" ]]; then
    gomod="$(cat "$cached")"
  elif command -v curl >/dev/null; then
    # GOPROXY is a list separated by "," or "|"; the first URL in it
    proxy="$(tr ',|' '\n' <<<"${GOPROXY:-https://proxy.golang.org}" | grep -m1 '^https\?://' || true)"
    if [[ -n "$proxy" ]]; then gomod="$(curl -fsS --max-time 10 "$proxy/$PKG_MOD/@v/v$VERSION.mod" 2>/dev/null || true)"; fi
  fi
  needed="$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' <<<"$gomod" | head -n1)"
  if [[ -z "$needed" ]]; then needed="$(known_for "$KNOWN_GO_VERSIONS" "$VERSION")"; fi
  echo "$needed"
}

# go1.26.8 >= 1.26.6 (semver, as Go versions are semver without the "go" prefix).
go_version_ok() { # <go env GOVERSION> <required>
  node -e '
    const semver = require(require.resolve("semver", { paths: [process.argv[1]] }));
    const have = semver.coerce(process.argv[2].replace(/^go/, ""), { includePrerelease: true });
    process.exit(have && semver.gte(have, semver.coerce(process.argv[3])) ? 0 : 1);
  ' "$SDK_DIR" "$1" "$2"
}

GO_NEEDED="$(required_go_version)"
GO_NEEDED_TEXT="Go >= ${GO_NEEDED:-the version in the go.mod of $PKG_MOD@v$VERSION}"
case "$(uname -m)" in aarch64 | arm64) GO_ARCH=arm64 ;; *) GO_ARCH=amd64 ;; esac
# One line: what is missing and the commands that fix it (Debian 12's golang-go is 1.19: too old).
GO_FIX="install $GO_NEEDED_TEXT from https://go.dev/dl/ (e.g. curl -fsSL https://go.dev/dl/go${GO_NEEDED:-<version>}.linux-$GO_ARCH.tar.gz | sudo tar -C /usr/local -xz; apt-get install golang-go only if its version is new enough) or set GO=/path/to/go, or put pulumi >= v$VERSION with pulumi-language-nodejs on PATH; then run this script again"

GO="${GO:-$(command -v go || true)}"
# The official Go tarball's location, for shells whose PATH lacks it.
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go; fi
if [[ -z "$GO" ]] || ! GO_FOUND="$("$GO" env GOVERSION 2>/dev/null)" || [[ -z "$GO_FOUND" ]]; then
  die "building Pulumi CLI v$VERSION needs Go, and there is none${GO:+ at $GO}: $GO_FIX."
fi
if [[ -n "$GO_NEEDED" ]] && ! go_version_ok "$GO_FOUND" "$GO_NEEDED"; then
  die "building Pulumi CLI v$VERSION needs Go >= $GO_NEEDED, and $GO is $GO_FOUND: $GO_FIX."
fi
log "no usable Pulumi CLI: building v$VERSION from Go modules with $GO_FOUND ($GO_NEEDED_TEXT needed)."
log "the first build takes about 10 minutes on 2 cores (1 min download, 8 compile); later runs use the cache in $CACHE_ROOT"

export GOMODCACHE="$CACHE_ROOT/go-mod" GOCACHE="$CACHE_ROOT/go-build"
# local toolchain only (no toolchain download); resolve missing requirements while building;
# -modcacherw so CI can delete/restore the module cache; no VCS stamping (the wrapper has no repo).
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -modcacherw -buildvcs=false" CGO_ENABLED=0 GOWORK=off

SDK_MOD=github.com/pulumi/pulumi/sdk/v3
CLI_PKG=$PKG_MOD/cmd/pulumi
# The language host is its own (untagged) module; it can only be required by commit.
LH_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# pkg/v3.248.0 tag commit, used when the proxy does not report the tag's origin.
KNOWN_LH_REFS="3.248.0=dc7edd58bc13179f81b80983aab4eb7f74a01b41"
# Newest sdk/v3 release that still contained the language host as a package (it moved to its
# own module afterwards). Used only when the proxy cannot serve the language-host module.
LEGACY_LH_SDK=v3.68.0
LEGACY_LH_PKG=$SDK_MOD/nodejs/cmd/pulumi-language-nodejs
LDFLAGS_VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

mkdir -p "$CACHE_ROOT"
# Serialise concurrent runs (parallel CI jobs) on the same cache.
if command -v flock >/dev/null; then
  exec 9>"$CACHE_ROOT/.install.lock"
  flock 9
  if cache_ok; then log "another run finished the build"; echo "$BIN"; exit 0; fi
  rm -rf "$CACHE_ROOT"/.pulumi-v*.?????? # leftovers of killed runs (safe: we hold the lock)
fi

# Everything is built in a temporary directory next to DEST and renamed into place at the end,
# so an interrupted build never leaves a half-filled cache entry.
STAGE="$(mktemp -d "$CACHE_ROOT/.pulumi-v$VERSION.XXXXXX")"
trap 'kill_progress_ticker; rm -rf "$STAGE"' EXIT
trap 'exit 130' INT # make sure the EXIT trap runs on Ctrl-C / kill
trap 'exit 143' TERM
chmod 0755 "$STAGE" # mktemp makes it private; the cache entry is meant to be shared
mkdir -p "$STAGE/bin" "$STAGE/src" "$STAGE/logs"

gorun() { "$GO" "$@" >&2; }  # keep stdout clean for the caller

# Prints one (dotted) field of the JSON on stdin, or nothing. node is always here; jq may not be.
json_field() { node -e '
  let v;
  try { v = JSON.parse(require("fs").readFileSync(0, "utf8")); } catch { process.exit(0); }
  for (const k of process.argv[1].split(".")) v = v == null ? undefined : v[k];
  if (v !== undefined) console.log(v);' "$1"; }

# Applies the module (non-directory) replace directives of a dependency's go.mod to the wrapper:
# Go ignores replaces of dependencies, but upstream builds with them (e.g. the clipboard fork).
copy_replaces() { # <go.mod file>
  local r
  # shellcheck disable=SC2016 # the ${...} below is JavaScript's
  while IFS= read -r r; do
    [[ -n "$r" ]] || continue
    log "  replace $r"
    "$GO" mod edit -replace "$r"
  done < <("$GO" mod edit -json "$1" | node -e '
    const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const r of j.Replace || []) {
      if (!r.New.Version) continue; // relative directories only exist in the pulumi repo
      const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
      console.log(`${old}=${r.New.Path}@${r.New.Version}`);
    }')
}

# Downloads a module (result JSON in MOD_JSON). When the checksum database cannot be queried for
# it (a proxy mirror may serve pulumi's modules but not their sumdb entries), checksum-database
# verification is switched off for github.com/pulumi/* only, unless the caller configured it.
# A checksum *mismatch* is never relaxed.
mod_download() { # <module@version>
  local err
  MOD_JSON="$("$GO" mod download -json "$1" 2>/dev/null || true)"
  err="$(json_field Error <<<"$MOD_JSON")"
  if [[ "$err" == *verifying*/lookup/* && -z "${GOSUMDB:-}${GONOSUMDB:-}${GOPRIVATE:-}${GONOSUMCHECK:-}" ]]; then
    log "checksum database lookup failed for $1; setting GONOSUMDB='github.com/pulumi/*'"
    export GONOSUMDB='github.com/pulumi/*'
    MOD_JSON="$("$GO" mod download -json "$1" 2>/dev/null || true)"
    err="$(json_field Error <<<"$MOD_JSON")"
  fi
  [[ -z "$err" ]] || die "cannot download $1: $err"
}

t0=$SECONDS

# --- resolve and download ------------------------------------------------------------------
mod_download "$PKG_MOD@v$VERSION"
pkg_commit="$(json_field Origin.Hash <<<"$MOD_JSON")"
pkg_gomod="$(json_field GoMod <<<"$MOD_JSON")"

cd "$STAGE/src" && mkdir cli && cd cli
gorun mod init example.invalid/pulumi-cli-build
copy_replaces "$pkg_gomod"
log "go get $CLI_PKG@v$VERSION $SDK_MOD@v$VERSION (downloading modules, about a minute)"
with_progress "go get of pulumi's modules" "$STAGE/logs/go-get.log" "$GO" get "$CLI_PKG@v$VERSION" "$SDK_MOD@v$VERSION" ||
  die "go get of the Pulumi CLI failed (see above; for checksum-database lookup errors set GONOSUMDB)"

# Language host at the commit of the pkg tag (the release commit a few hours earlier works too).
lh_ref="${PULUMI_HI_LANGUAGE_HOST_REF:-$pkg_commit}"
if [[ -z "$lh_ref" ]]; then lh_ref="$(known_for "$KNOWN_LH_REFS" "$VERSION")"; fi
lh_kind=""
if [[ -n "$lh_ref" ]]; then
  log "go get $LH_MOD@$lh_ref"
  if lh_err="$("$GO" get "$LH_MOD@$lh_ref" 2>&1)"; then
    lh_kind="matching"
    lh_pkg="$LH_MOD"
    lh_dir="$STAGE/src/cli"
    lh_version="v$VERSION"
  else
    log "language-host module not available: $(tail -n2 <<<"$lh_err" | tr '\n' ' ')"
  fi
else
  log "no commit known for the language host of v$VERSION (set PULUMI_HI_LANGUAGE_HOST_REF)"
fi

# MVS must not have moved the CLI off the requested version.
for m in "$PKG_MOD" "$SDK_MOD"; do
  got="$("$GO" list -m -f '{{.Version}}' "$m")"
  [[ "$got" == "v$VERSION" ]] || die "$m resolved to $got instead of v$VERSION"
done

if [[ -z "$lh_kind" ]]; then
  # Fallback: the last language host that shipped inside sdk/v3, built in its own wrapper module
  # (it needs sdk/v3 at that old version). The CLI talks to older language hosts (it falls back
  # when newer RPCs are unimplemented), but Pulumi.yaml runtime options such as `typescript: false`
  # are not understood by it; set PULUMI_NODEJS_TRANSPILE_ONLY etc. in the environment instead.
  log "WARNING: falling back to pulumi-language-nodejs from sdk/v3@$LEGACY_LH_SDK"
  mod_download "$SDK_MOD@$LEGACY_LH_SDK"
  legacy_gomod="$(json_field GoMod <<<"$MOD_JSON")"
  mkdir "$STAGE/src/langhost" && cd "$STAGE/src/langhost"
  gorun mod init example.invalid/pulumi-language-nodejs-build
  copy_replaces "$legacy_gomod"
  with_progress "go get of the legacy language host's modules" "$STAGE/logs/go-get-language-host.log" "$GO" get "$LEGACY_LH_PKG@$LEGACY_LH_SDK" ||
    die "go get of the legacy language host failed (see above)"
  lh_kind="legacy sdk/v3@$LEGACY_LH_SDK"
  lh_pkg="$LEGACY_LH_PKG"
  lh_dir="$STAGE/src/langhost"
  lh_version="$LEGACY_LH_SDK"
fi

# Fetch every module the two mains import, so the timings below separate download from compile.
(cd "$STAGE/src/cli" && with_progress "download of the modules pulumi imports" "$STAGE/logs/deps-pulumi.log" "$GO" list -deps "$CLI_PKG")
(cd "$lh_dir" && with_progress "download of the modules pulumi-language-nodejs imports" "$STAGE/logs/deps-language-host.log" "$GO" list -deps "$lh_pkg")
t_download=$((SECONDS - t0))
log "modules resolved and downloaded in ${t_download}s"

# --- compile -------------------------------------------------------------------------------
# Same flags as upstream release builds (.goreleaser.yml); -v names each package as it is
# compiled, which the progress lines show.
build() { # <label> <dir> <package> <version> <output>
  (cd "$2" && with_progress "$1" "$STAGE/logs/$(basename "$5").log" "$GO" build -v -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X $LDFLAGS_VERSION_VAR=$4" -o "$5" "$3")
}
t1=$SECONDS
log "compiling pulumi, step 1 of 2 ($CLI_PKG; the slow part: about 7 minutes on 2 cores)"
build "compiling pulumi (1 of 2)" "$STAGE/src/cli" "$CLI_PKG" "v$VERSION" "$STAGE/bin/pulumi"
log "compiling pulumi-language-nodejs, step 2 of 2 ($lh_kind)"
build "compiling pulumi-language-nodejs (2 of 2)" "$lh_dir" "$lh_pkg" "$lh_version" "$STAGE/bin/pulumi-language-nodejs"
t_compile=$((SECONDS - t1))
log "compiled in ${t_compile}s"

# Bundled with the CLI upstream; the SDK ships the same script.
install -m 0755 "$RESOURCE_PLUGIN" "$STAGE/bin/pulumi-resource-pulumi-nodejs"

built="$(pulumi_version "$STAGE/bin/pulumi")"
[[ "$built" == "$VERSION" ]] || die "built pulumi reports version '$built', expected $VERSION"

cat >"$STAGE/BUILD-INFO" <<EOF
pulumi v$VERSION ($PKG_MOD, commit ${pkg_commit:-unknown})
pulumi-language-nodejs: $lh_kind ($lh_pkg $lh_version)
go: $("$GO" env GOVERSION)
download: ${t_download}s, compile: ${t_compile}s
built: $(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

# Swap the finished tree into place (rename within one filesystem is atomic).
if [[ -e "$DEST" ]]; then # an unusable earlier entry (cache_ok failed above)
  mv "$DEST" "$DEST.stale.$$" && rm -rf "$DEST.stale.$$"
fi
mv -T "$STAGE" "$DEST"
trap - EXIT
log "installed Pulumi CLI v$VERSION in $BIN (download ${t_download}s, compile ${t_compile}s)"
echo "$BIN"
