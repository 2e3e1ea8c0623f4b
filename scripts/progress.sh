# shellcheck shell=bash
# Progress for long build steps, sourced by scripts/install-pulumi.sh (and its test).
#
#   with_progress <label> <log file> <command...>
#
# runs the command with its output appended to <log file> and, every PROGRESS_EVERY seconds
# (default 30), prints "<label>: <elapsed>, <lines> lines of output, last: <last line>" to stderr,
# so a ten-minute `go build` never looks hung. On failure the end of the log is printed. The
# ticker is a background subshell, killed when the command ends or the script exits
# (kill_progress_ticker, called from the caller's EXIT trap), and it stops by itself once its
# parent shell is gone.

PROGRESS_EVERY="${PROGRESS_EVERY:-30}"
PROGRESS_TICKER_PID=""

# "1m05s" for 65 seconds.
format_elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

kill_progress_ticker() {
  if [[ -n "$PROGRESS_TICKER_PID" ]]; then
    kill "$PROGRESS_TICKER_PID" 2>/dev/null || true
    wait "$PROGRESS_TICKER_PID" 2>/dev/null || true
    PROGRESS_TICKER_PID=""
  fi
}

with_progress() { # <label> <log file> <command...>
  local label=$1 log_file=$2 started=$SECONDS parent=$$ rc=0
  shift 2
  : >>"$log_file"
  # stdout to /dev/null and the sleep killed with the ticker: an orphaned sleep would hold the
  # caller's pipes open (execFileSync waits for them) for up to PROGRESS_EVERY seconds
  (
    sleeper=""
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    while :; do
      sleep "$PROGRESS_EVERY" &
      sleeper=$!
      wait "$sleeper"
      kill -0 "$parent" 2>/dev/null || exit 0
      lines=$(wc -l <"$log_file")
      last=$(tail -n1 "$log_file" | cut -c1-120)
      echo "[install-pulumi]   ... $label: $(format_elapsed $((SECONDS - started))), $lines lines of output${last:+, last: $last}" >&2
    done
  ) >/dev/null &
  PROGRESS_TICKER_PID=$!
  "$@" >>"$log_file" 2>&1 || rc=$?
  kill_progress_ticker
  if ((rc != 0)); then
    echo "[install-pulumi] $label failed after $(format_elapsed $((SECONDS - started))); last lines of $log_file:" >&2
    tail -n 30 "$log_file" >&2
  fi
  return "$rc"
}
