#!/usr/bin/env bash
# The production set-up: one single-worker gunicorn + gevent process per core, each on its
# own port (8001, 8002, ...), for a proxy with sticky sessions in front (see
# config/nginx.conf.sample and docs/realtime.md).
#
#   DATABASE_URL  PostgreSQL (required)          REDIS_URL   Redis (required for 2+ processes)
#   PROCESSES     how many (default: cores)      FIRST_PORT  default 8001
#   HOST          default 127.0.0.1              PYTHON      default .venv/bin/python
#
# Stops every process it started when it is stopped (Ctrl-C or SIGTERM), and stops them all
# if one of them dies, so a supervisor sees the failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
PROCESSES="${PROCESSES:-$(nproc 2>/dev/null || echo 1)}"
FIRST_PORT="${FIRST_PORT:-8001}"
HOST="${HOST:-127.0.0.1}"

if [[ -z "${DATABASE_URL:-}" ]]; then
  echo "serve: set DATABASE_URL (postgresql://...) first." >&2
  exit 1
fi
if [[ "$PROCESSES" -gt 1 && -z "${REDIS_URL:-}" ]]; then
  echo "serve: $PROCESSES processes need REDIS_URL, so each can reach the others' clients." >&2
  exit 1
fi

export DATABASE_URL REDIS_URL="${REDIS_URL:-}"
# Never let Flask-SocketIO guess: gevent, whatever else is installed.
export SOCKETIO_ASYNC_MODE=gevent
# Thousands of sockets need thousands of file descriptors (gunicorn.conf.py raises it too).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

for ((i = 0; i < PROCESSES; i++)); do
  port=$((FIRST_PORT + i))
  BIND="$HOST:$port" "$PYTHON" -m gunicorn -c "$ROOT/config/gunicorn.conf.py" forum.wsgi:app &
  pids+=("$!")
  echo "serve: process $((i + 1)) of $PROCESSES on http://$HOST:$port (pid $!)"
done

# Whichever process exits first ends the set: a half-running cluster is worse than none.
set +e
wait -n
status=$?
echo "serve: a server process exited (status $status); stopping the others." >&2
exit "$status"
