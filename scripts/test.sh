#!/usr/bin/env bash
# The project's own tests: unit tests, and every criterion proven against the real sandbox (faults and heal).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
python3 -m sandbox up || exit $?
python3 -m pytest tests "$@"
