#!/usr/bin/env bash
# Refreshes emulator/model/service-2.json, AWS's HealthImaging service model, from the botocore
# wheel on PyPI (botocore/data/medical-imaging/2023-07-19/service-2.json[.gz]) and records the
# botocore version in emulator/model/service-2.md. The local service validates every request
# against this file and test/service/emulator-model-conformance.test.ts is driven by it.
#
#   bash scripts/update-service-model.sh            # the newest botocore
#   BOTOCORE_VERSION=1.44.8 bash scripts/update-service-model.sh
set -euo pipefail

log() { echo "[update-service-model] $*" >&2; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
SPEC="botocore${BOTOCORE_VERSION:+==$BOTOCORE_VERSION}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

log "downloading $SPEC from PyPI"
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-input --no-deps --only-binary=:all: -d "$TMP" "$SPEC" >&2
WHEEL="$(ls "$TMP"/botocore-*.whl)"
VERSION="$(basename "$WHEEL" | sed -n 's/^botocore-\([^-]*\)-.*/\1/p')"

"$PYTHON" - "$WHEEL" "$ROOT/emulator/model/service-2.json" <<'PY'
import gzip, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
base = "botocore/data/medical-imaging/2023-07-19/service-2.json"
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    if base + ".gz" in names:
        data = gzip.decompress(z.read(base + ".gz"))
    elif base in names:
        data = z.read(base)
    else:
        sys.exit(f"{base} is not in {wheel}")
open(out, "wb").write(data)
PY
sed -i "s/^botocore version: .*/botocore version: $VERSION/" "$ROOT/emulator/model/service-2.md"
log "emulator/model/service-2.json now from botocore $VERSION"
