#!/usr/bin/env bash
# Turn reports/allure-results into the HTML report (Allure 3 from npm), keeping run history for trends in
# state/allure-history.jsonl (reporting/allurerc.json).
# The page loads its data over HTTP: view it with
#   python3 -m http.server --bind 127.0.0.1 --directory reports/allure-report 8000
set -euo pipefail
cd "$(dirname "$0")/.."
ALLURE_VERSION=3.18.0
ALLURE_HOME="${READINESS_CACHE:-$HOME/.cache/platform-readiness}/allure-$ALLURE_VERSION"
ALLURE="$ALLURE_HOME/node_modules/.bin/allure"
if [ ! -x "$ALLURE" ]; then
  echo "report: installing allure $ALLURE_VERSION from npm into $ALLURE_HOME (once)"
  npm install --prefix "$ALLURE_HOME" --no-audit --no-fund --loglevel=error "allure@$ALLURE_VERSION" >/dev/null
fi
rm -rf reports/allure-report
mkdir -p state      # the report's history (docs/state.md)
"$ALLURE" generate reports/allure-results --config reporting/allurerc.json -o reports/allure-report >/dev/null
echo "report: reports/allure-report/index.html (serve it over HTTP; opened as a file it stays on a spinner)"
