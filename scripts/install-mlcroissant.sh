#!/usr/bin/env bash
# Installs mlcroissant (MLCommons' Croissant library, from PyPI) into a Python virtualenv in a cache
# folder outside the repo and prints the path of its `python` on stdout; `mlcroissant` (the
# validator command) sits next to it. The dataset tests validate the Croissant file hi.Dataset
# writes with it and load every record set through mlcroissant.Dataset(...).records(...)
# (test/support/mlcroissant.ts, test/support/croissant_records.py).
#
#   PY="$(bash scripts/install-mlcroissant.sh)"; "$(dirname "$PY")/mlcroissant" validate --jsonld dataset-croissant.json
#
# Idempotent: when the virtualenv already has the pinned version and it imports, it only prints
# the path. Progress goes to stderr.
#
# Environment:
#   PULUMI_HI_CACHE       cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-healthimaging)
#   MLCROISSANT_VERSION   mlcroissant version to install (default below; reads Croissant 1.1)
#   PYTHON                python interpreter used to create the virtualenv (default python3; mlcroissant needs 3.10+)
set -euo pipefail

log() { echo "[install-mlcroissant] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

VERSION="${MLCROISSANT_VERSION:-1.1.1}"
CACHE_ROOT="${PULUMI_HI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-healthimaging}"
VENV="$CACHE_ROOT/mlcroissant-venv"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"

works() {
  [[ -x "$PY" && -x "$VENV/bin/mlcroissant" ]] || return 1
  [[ "$("$PY" -c 'from importlib.metadata import version; print(version("mlcroissant"))' 2>/dev/null || true)" == "$VERSION" ]] || return 1
  "$PY" -c 'import mlcroissant' >/dev/null 2>&1
}

if works; then
  echo "$PY"
  exit 0
fi

# shellcheck source=scripts/pip-venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/pip-venv.sh"
pip_install_pinned "$VENV" "$PYTHON" mlcroissant "$VERSION"

works || die "mlcroissant $VERSION is installed but does not import"
log "ready: mlcroissant $VERSION"
echo "$PY"
