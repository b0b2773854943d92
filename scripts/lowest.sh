#!/usr/bin/env bash
# The oldest versions pyproject.toml allows, installed into their own venv (.venv-lowest) from `==` pins of its
# lower bounds: the offline tests, then one read-only criterion against the running sandbox. A bound that
# this does not pass is a bound that is not true.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-lowest || exit 1
.venv/bin/python scripts/lowest_pins.py > .venv-lowest/pins.txt || exit 1
echo "lowest: installing $(tr '\n' ' ' < .venv-lowest/pins.txt)"
.venv-lowest/bin/python -m pip install -q --disable-pip-version-check -r .venv-lowest/pins.txt || exit 1
.venv-lowest/bin/python -m pytest -p no:cacheprovider -q -n 2 tests/offline tests/tools || exit 1
out=$(mktemp -d)
.venv-lowest/bin/python -m pytest -p no:cacheprovider -q suites --criteria P1-NODES-READY \
  --summary-dir "$out" --state-dir "$out/state" --alluredir "$out/allure" || exit 1
grep -q '"verdict": "passed"' "$out/summary.json" || { echo "lowest: P1-NODES-READY did not pass"; exit 1; }
echo "lowest: the oldest allowed versions pass"
