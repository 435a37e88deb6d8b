#!/usr/bin/env bash
# The main job: install, start the embedded server, run the example plan and print its rows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/mantis demo "$@"
