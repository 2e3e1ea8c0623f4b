#!/usr/bin/env bash
# Sourced by the install scripts of Python tools (install-aws-cli.sh, install-mlcroissant.sh): one
# way to put a pinned PyPI package into a virtualenv in the cache, outside the repository.
# The caller defines log and die first.

# pip_install_pinned <venv> <python> <package> <version>: creates the virtualenv when missing and
# installs package==version into it (progress on stderr).
pip_install_pinned() {
  local venv="$1" python="$2" package="$3" version="$4"
  command -v "$python" >/dev/null || die "$python is not on PATH"
  mkdir -p "$(dirname "$venv")"
  if [[ ! -x "$venv/bin/python" ]]; then
    log "creating virtualenv $venv"
    "$python" -m venv "$venv" >&2 || die "cannot create a virtualenv with $python (Debian: apt-get install python3-venv)"
  fi
  log "installing $package==$version from PyPI"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$package==$version" >&2 \
    || die "pip install $package==$version failed"
}
