#!/usr/bin/env bash
# Installs, then runs the linters, the type checker and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check
.venv/bin/mypy
exec .venv/bin/pytest "$@"
