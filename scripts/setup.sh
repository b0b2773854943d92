#!/usr/bin/env bash
# Install what the suite and the sandbox need on a fresh Debian machine (idempotent; warm runs take seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(prometheus prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter
              prometheus-postgres-exporter prometheus-elasticsearch-exporter prometheus-pushgateway postgresql
              openssl chromium openjdk-17-jdk-headless maven)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The project's own virtual environment: the machine's Python and the packages other tools pinned there are
# left untouched.
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment .venv"
  python3 -m venv .venv
fi
echo "setup: Python packages into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[sandbox,test]"

echo "setup: Go and Java components of the sandbox (built once into ${READINESS_CACHE:-~/.cache/platform-readiness})"
.venv/bin/python -m sandbox.build
