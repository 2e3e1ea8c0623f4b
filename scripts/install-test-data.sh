#!/usr/bin/env bash
# Installs the DICOM sample files the import tests use (Debian's python3-pydicom ships
# pydicom/data/test_files, MIT licensed) and prints that folder's path on stdout.
# Idempotent: does nothing but print the path when the package is already there.
set -euo pipefail

PACKAGE=python3-pydicom

is_installed() {
  dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q '^install ok installed$'
}

if ! is_installed; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-data: $PACKAGE is missing and installing it needs root (apt-get)." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Try without refreshing the package lists first; refresh once only if apt can't find the package.
  if ! apt-get install -y --no-install-recommends "$PACKAGE" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y --no-install-recommends "$PACKAGE" >/dev/null
  fi
fi

TEST_FILES=$(dpkg -L "$PACKAGE" | grep -m1 '/pydicom/data/test_files$' || true)
if [ -z "$TEST_FILES" ] || [ ! -d "$TEST_FILES" ]; then
  echo "install-test-data: $PACKAGE is installed but its pydicom/data/test_files folder was not found." >&2
  exit 1
fi
echo "$TEST_FILES"
