#!/usr/bin/env bash
# Installs, then runs the linters, the type checker and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The PostgreSQL half of the service tests needs the machine's server on 127.0.0.1 (they skip without it).
if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
.venv/bin/ruff check
.venv/bin/mypy
# Two workers (pytest-xdist), each given one test file at a time, so a module's server starts once; the
# suite waits on browsers, servers and polls more than it computes, so two keep both cores busy.
# PYTEST_WORKERS=0 runs it serially in this process. The slowest tests are printed to see where time goes.
exec .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile --durations=30 "$@"
