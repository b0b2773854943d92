#!/usr/bin/env bash
# The project's own tests: the offline tier (no sandbox, in parallel), then every criterion proven against the
# real sandbox (faults and heal; one sandbox, so serially). Extra arguments go to both pytest runs.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
PY=.venv/bin/python
"$PY" -m pytest tests -m "not sandbox" -n 2 "$@"
offline=$?
"$PY" -m sandbox up || exit $?
"$PY" -m pytest tests -m sandbox "$@"
live=$?
echo "test: offline tier exit $offline, sandbox tier exit $live"
[ "$offline" -eq 0 ] && exit $live
exit $offline
