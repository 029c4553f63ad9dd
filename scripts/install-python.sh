#!/usr/bin/env bash
# Create the virtual environment and install the project with its test and serve extras.
# Called by make; safe to run again.
set -euo pipefail
PYTHON="${1:-python3}"
VENV="${2:-.venv}"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Alongside needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
  exit 1
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[dev,serve]"
# Packages installed without their dependencies (their declared ones would pull PyTorch).
if [[ -f requirements-nodeps.txt ]]; then
  "$VENV/bin/python" -m pip install --quiet --no-deps -r requirements-nodeps.txt
fi
