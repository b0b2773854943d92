#!/usr/bin/env bash
# The project's own tests by tier: tests/offline and tests/tools (no sandbox, in parallel), then tests/live, every
# criterion proven against the real sandbox (faults and heal; one sandbox, so serially). Extra arguments go to both
# pytest runs.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
PY=.venv/bin/python
"$PY" -m pytest tests/offline tests/tools -n 2 "$@"
offline=$?
"$PY" -m sandbox up || exit $?
"$PY" -m pytest tests/live "$@"
live=$?
echo "test: offline tier exit $offline, sandbox tier exit $live"
[ "$offline" -eq 0 ] && exit $live
exit $offline
