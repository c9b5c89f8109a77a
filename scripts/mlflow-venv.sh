#!/usr/bin/env bash
# Creates (or updates) the venv holding the MLflow tracking server the integration tests start.
#
# MLflow pins its own dependencies, so it lives apart from govtui's environment. The venv is at
# ${GOVTUI_MLFLOW_VENV:-$HOME/.cache/govtui/mlflow-venv}. pip install always runs (quick when
# everything is already satisfied), constrained by constraints-mlflow.txt so every machine runs
# the same server. `--refresh` installs without the constraints and rewrites them from the venv's
# `pip freeze` (do this when moving MLFLOW_VERSION).
set -euo pipefail
cd "$(dirname "$0")/.."

MLFLOW_VERSION="3.17.2"
VENV="${GOVTUI_MLFLOW_VENV:-$HOME/.cache/govtui/mlflow-venv}"
CONSTRAINTS="constraints-mlflow.txt"
PYTHON="${PYTHON:-python3}"

refresh=0
if [ "${1:-}" = "--refresh" ]; then refresh=1; fi
if [ ! -f "$CONSTRAINTS" ]; then refresh=1; fi

if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
fi

pip_install=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
if [ "$refresh" = 1 ]; then
  "${pip_install[@]}" "mlflow==$MLFLOW_VERSION"
  {
    echo "# Exact versions of the MLflow server venv the integration tests start."
    echo "# Regenerate with: bash scripts/mlflow-venv.sh --refresh"
    "$VENV/bin/python" -m pip freeze --disable-pip-version-check | sort
  } >"$CONSTRAINTS"
else
  "${pip_install[@]}" -c "$CONSTRAINTS" "mlflow==$MLFLOW_VERSION"
fi

"$VENV/bin/python" -c "import mlflow, pandas; print('mlflow', mlflow.__version__, 'in $VENV')"
