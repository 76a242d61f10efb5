#!/usr/bin/env bash
# Run the test suite on a machine whose cores are all busy: one busy-loop process per core
# (STRESS_BUSY to change), started before the command and killed when it ends, however it
# ends. Proves that no test depends on the machine's speed (docs/development.md).
#
#   scripts/stress_test.sh                              # the full suite (.venv/bin/python -m pytest)
#   scripts/stress_test.sh -m "not slow"                # pytest arguments: the quick tier
#   scripts/stress_test.sh -- bash .ci/run              # any command after --: install and suite, as CI
#
# The run must finish within STRESS_LIMIT_S seconds (default 1800: the suite's budget on a
# saturated 2-core machine); past it pytest is interrupted (its summary still prints) and
# the script fails. Prints the load average before and after, and the wall time.
set -uo pipefail
cd "$(dirname "$0")/.."

busy=${STRESS_BUSY:-$(nproc)}
limit=${STRESS_LIMIT_S:-1800}
if [[ ${1:-} == "--" ]]; then
    shift
    cmd=("$@")
else
    cmd=("${PYTHON:-.venv/bin/python}" -m pytest --durations=25 "$@")
fi

pids=()
stop_busy() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null
    done
    wait "${pids[@]}" 2>/dev/null
    pids=()
}
trap stop_busy EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$busy"); do
    (while :; do :; done) &
    pids+=("$!")
done
echo "stress: ${busy} busy loops on $(nproc) cores; $(uptime)"
echo "stress: running ${cmd[*]} (limit ${limit} s)"

start=$(date +%s)
# SIGINT first, so that pytest prints what passed and what was running; SIGKILL 60 s later.
# --foreground: Ctrl-C still reaches the command.
timeout --foreground --signal=INT --kill-after=60 "$limit" "${cmd[@]}"
rc=$?
took=$(($(date +%s) - start))
echo "stress: exit ${rc} after ${took} s with ${busy} busy loops; $(uptime)"
if [[ $rc -eq 124 ]]; then
    echo "stress: the run took longer than ${limit} s" >&2
fi
exit "$rc"
