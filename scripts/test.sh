#!/usr/bin/env bash
# The project's own tests: unit tests, and every criterion proven against the real sandbox (faults and heal).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
PY=.venv/bin/python
"$PY" -m sandbox up || exit $?
"$PY" -m pytest tests "$@"
