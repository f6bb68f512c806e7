#!/usr/bin/env bash
# Starts `make run` on the embedded defaults (no DATABASE_URL / REDIS_URL), waits for the login page,
# logs in as every demo user, sends a Celery task from the web process and waits for the worker to
# run it, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
make install >/dev/null  # the checks below use the venv; `make run` would build it too late
PORT=${SMOKE_PORT:-8765}
LOG=$(mktemp -t desk-run.XXXXXX.log)
env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL CI= PORT=$PORT setsid make run >"$LOG" 2>&1 &
RUN_PID=$!
stop() { kill -TERM -- -"$RUN_PID" 2>/dev/null || true; wait "$RUN_PID" 2>/dev/null || true; }
trap stop EXIT

if ! .venv/bin/python .ci/smoke.py "http://127.0.0.1:$PORT"; then
  echo "--- make run output (last 60 lines) ---"; tail -60 "$LOG"
  exit 1
fi
# The worker has run a task by now: the filesystem broker's folders must all be under var/.
if [ -e control ]; then
  echo "make run created control/ in the checkout; the broker's control_folder belongs in var/"
  exit 1
fi
