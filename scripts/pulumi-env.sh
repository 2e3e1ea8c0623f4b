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
#   PULUMI_BACKEND_URL=file://$PWD/.pulumi-local/backend  (only if unset; it overrides
#                                                     `pulumi login`, so to use another
#                                                     backend set it before sourcing)
#   PULUMI_HOME=$PWD/.pulumi-local/home                   (only if unset; keeps ~/.pulumi clean)
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
  if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
    mkdir -p "$PWD/.pulumi-local/backend"
    export PULUMI_BACKEND_URL="file://$PWD/.pulumi-local/backend"
  fi
  if [[ -z "${PULUMI_HOME:-}" ]]; then
    mkdir -p "$PWD/.pulumi-local/home"
    export PULUMI_HOME="$PWD/.pulumi-local/home"
  fi
}

if _pulumi_hi_env; then
  unset -f _pulumi_hi_env
else
  unset -f _pulumi_hi_env
  return 1
fi
