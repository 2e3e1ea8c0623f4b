#!/usr/bin/env bash
# Installs the AWS CLI (v1, the `awscli` package from PyPI) into a Python virtualenv in a cache
# folder outside the repo and prints the path of its `aws` executable on stdout. The emulator
# conformance tests (test/service/emulator-awscli.test.ts) run the CLI's documented medical-imaging
# examples against the local service with it.
#
#   AWS="$(bash scripts/install-aws-cli.sh)"; "$AWS" --version
#
# Idempotent: when the virtualenv already has the pinned version and its medical-imaging
# commands work, it only prints the path. Progress goes to stderr.
#
# Environment:
#   PULUMI_HI_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-healthimaging)
#   AWSCLI_VERSION    awscli version to install (default below; needs medical-imaging copy-image-set
#                     with --force/--promote-to-primary, i.e. a 2025 or later release)
#   PYTHON            python interpreter used to create the virtualenv (default python3)
set -euo pipefail

log() { echo "[install-aws-cli] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

VERSION="${AWSCLI_VERSION:-1.46.3}"
CACHE_ROOT="${PULUMI_HI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-healthimaging}"
VENV="$CACHE_ROOT/awscli-venv"
AWS="$VENV/bin/aws"
PYTHON="${PYTHON:-python3}"

# The CLI must never read the user's real AWS configuration or credentials while we check it.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

installed_version() {
  [[ -x "$AWS" ]] || return 1
  "$AWS" --version 2>&1 | sed -n 's|^aws-cli/\([^ ]*\).*|\1|p'
}

works() {
  [[ "$(installed_version 2>/dev/null || true)" == "$VERSION" ]] || return 1
  "$AWS" medical-imaging copy-image-set help 2>/dev/null | grep -q -- "promote-to-primary"
}

if works; then
  echo "$AWS"
  exit 0
fi

# shellcheck source=scripts/pip-venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/pip-venv.sh"
pip_install_pinned "$VENV" "$PYTHON" awscli "$VERSION"

# groff is not needed: `help` falls back to plain text. Check the service model is there.
works || die "awscli $VERSION is installed but 'aws medical-imaging copy-image-set help' does not show --promote-to-primary"
log "ready: $("$AWS" --version 2>&1)"
echo "$AWS"
