#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends prometheus prometheus-alertmanager tmux

PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install --quiet -c constraints.txt -e '.[test]'
# The MLflow tracking server the integration tests start lives in its own venv (it pins its own
# dependencies); the script always runs pip install, which is quick when nothing changed.
bash scripts/mlflow-venv.sh

echo "== ruff format --check"; "$PYTHON" -m ruff format --check .
echo "== ruff check"; "$PYTHON" -m ruff check .
echo "== mypy (headless packages)"; "$PYTHON" -m mypy govtui --exclude 'govtui/ui/'
echo "== import-linter"; lint-imports
echo "== pytest"; "$PYTHON" -m pytest -q -p no:cacheprovider "$@"
