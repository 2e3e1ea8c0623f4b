# shellcheck shell=bash
# Offline Pulumi settings for this repo. Source it, don't run it:
#
#   source scripts/pulumi-env.sh
#
# Puts the CLI from scripts/install-pulumi.sh on PATH (the first time this may build it, which
# takes several minutes) and sets defaults so no command reaches the network:
#   PULUMI_SKIP_UPDATE_CHECK=true                     no version check against pulumi.com
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true  never try to download plugins
#   PULUMI_CONFIG_PASSPHRASE=""                       (only if neither it nor _FILE is set)
#                                                     local test stacks only; the empty
#                                                     passphrase protects nothing
#   PULUMI_BACKEND_URL=file://<repo>/.pulumi-local/backend  (only if unset; it overrides
#                                                     `pulumi login`, so to use another
#                                                     backend set it before sourcing)
#   PULUMI_HOME=<repo>/.pulumi-local/home             (only if unset; keeps ~/.pulumi clean)
# and points AWS clients at the local HealthImaging service `npm start` runs (each only if unset):
#   AWS_ENDPOINT_URL_MEDICAL_IMAGING=http://127.0.0.1:4566, AWS_REGION=AWS_DEFAULT_REGION=us-east-1,
#   AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test, AWS_DISABLE_HOST_PREFIX_INJECTION=true
# so that `pulumi preview --refresh --expect-no-changes` and the AWS CLI work as `npm start` prints.
# For real AWS, set HEALTHIMAGING_TARGET=aws before sourcing: the AWS_* variables are then left alone.
# PULUMI_LOCAL_DIR and HEALTHIMAGING_PORT move the state folder and the port, as for `npm start`.
# Set PULUMI_HI_BIN to a directory holding pulumi to skip the installer.

if [[ "${BASH_SOURCE[0]:-}" == "${0}" ]]; then
  echo "[pulumi-env] source this file (source scripts/pulumi-env.sh); running it changes nothing" >&2
  exit 1
fi

_pulumi_hi_env() {
  local dir bin
  dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)" || return 1
  bin="${PULUMI_HI_BIN:-}"
  if [[ -z "$bin" ]]; then
    bin="$(bash "$dir/install-pulumi.sh")" || {
      echo "[pulumi-env] scripts/install-pulumi.sh failed; Pulumi is not set up" >&2
      return 1
    }
  fi
  case ":$PATH:" in
    *":$bin:"*) ;;
    *) export PATH="$bin:$PATH" ;;
  esac

  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  if [[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
    export PULUMI_CONFIG_PASSPHRASE=""
  fi
  local state="${PULUMI_LOCAL_DIR:-$(dirname "$dir")/.pulumi-local}"
  if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
    mkdir -p "$state/backend"
    export PULUMI_BACKEND_URL="file://$state/backend"
  fi
  if [[ -z "${PULUMI_HOME:-}" ]]; then
    mkdir -p "$state/home"
    export PULUMI_HOME="$state/home"
  fi
  if [[ "${HEALTHIMAGING_TARGET:-local}" != "aws" ]]; then
    # the same defaults as scripts/local.ts (CREDENTIALS, ENDPOINT)
    export AWS_ENDPOINT_URL_MEDICAL_IMAGING="${AWS_ENDPOINT_URL_MEDICAL_IMAGING:-http://127.0.0.1:${HEALTHIMAGING_PORT:-4566}}"
    export AWS_REGION="${AWS_REGION:-us-east-1}"
    export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}" # the AWS CLI v1 reads this one
    export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
    export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
    export AWS_DISABLE_HOST_PREFIX_INJECTION="${AWS_DISABLE_HOST_PREFIX_INJECTION:-true}"
  fi
}

if _pulumi_hi_env; then
  unset -f _pulumi_hi_env
else
  unset -f _pulumi_hi_env
  return 1
fi
