#!/usr/bin/env bash
# Production mode on one machine: gunicorn (web) and the django-q2 cluster (jobs),
# both on the PostgreSQL named by DATABASE_URL. Ctrl-C (or SIGTERM) stops both: each
# gets one SIGTERM, then STOP_GRACE_SECONDS (default 30, above gunicorn's graceful
# timeout); whatever is left of either one's process group then is killed (SIGKILL),
# and the script says which.
#
#   SERVE_ROLE=all     web + worker (default)
#   SERVE_ROLE=web     gunicorn only (more web machines)
#   SERVE_ROLE=worker  qcluster only (more worker machines)
#
# Before starting: collectstatic (hashed, compressed files for whitenoise) and,
# unless SERVE_MIGRATE=0, migrate + the idempotent schedules. On several machines,
# let one of them migrate (see the README's deployment section).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROLE=${SERVE_ROLE:-all}

case "${DATABASE_URL:-}" in
  postgres://*|postgresql://*) ;;
  *) echo "make serve needs DATABASE_URL=postgres://... (production mode runs on PostgreSQL)" >&2
     exit 2 ;;
esac
if [ -z "${SECRET_KEY:-}" ]; then
  echo "make serve needs SECRET_KEY (a long random string; see README, Deployment)" >&2
  exit 2
fi
# Rate limits and the dashboard's counts live in the cache: without a shared one
# (REDIS_URL) every gunicorn worker counts on its own and the limits multiply.
if [ "$ROLE" != "worker" ] && [ -z "${REDIS_URL:-}" ] && [ "${ALLOW_LOCAL_CACHE:-0}" != "1" ]; then
  workers=$("$PY" -c 'import runpy; print(runpy.run_path("akrites/gunicorn.conf.py")["workers"])')
  if [ "$workers" -gt 1 ]; then
    echo "make serve: $workers web workers but no shared cache, so each would keep its own" \
      "rate limit counters. Set REDIS_URL=redis://host:6379/0, or WEB_CONCURRENCY=1," \
      "or ALLOW_LOCAL_CACHE=1 to accept per-worker limits (README, Deployment)." >&2
    exit 2
  fi
fi
export DEBUG=0

"$PY" manage.py collectstatic --noinput --verbosity 0
if [ "${SERVE_MIGRATE:-1}" != "0" ] && [ "$ROLE" != "worker" ]; then
  "$PY" manage.py migrate --noinput
  if "$PY" manage.py help setup_schedules >/dev/null 2>&1; then
    "$PY" manage.py setup_schedules
  fi
fi

STOP_GRACE=${STOP_GRACE_SECONDS:-30}
pids=()
names=()
# Each child runs in its own session and process group (setsid: a background job of
# this script is no group leader, so setsid does not fork and $! is the child). A
# terminal's Ctrl-C then reaches only this script, which sends each child one
# SIGTERM: django-q2 hangs when all its processes get a signal at once, or when its
# main process gets a second one while stopping.
start() {
  local name=$1
  shift
  setsid "$@" &
  pids+=($!)
  names+=("$name")
}
group_alive() { kill -0 -- "-$1" 2>/dev/null; }
stop_all() {
  local i left deadline=$((SECONDS + STOP_GRACE))
  for i in "${!pids[@]}"; do
    if group_alive "${pids[$i]}"; then
      echo "serve: stopping the ${names[$i]} (SIGTERM to process ${pids[$i]})" >&2
      kill -TERM "${pids[$i]}" 2>/dev/null || true
    fi
  done
  while [ "$SECONDS" -lt "$deadline" ]; do
    left=0
    for i in "${!pids[@]}"; do group_alive "${pids[$i]}" && left=1; done
    [ "$left" = 1 ] || break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if group_alive "${pids[$i]}"; then
      echo "serve: the ${names[$i]} did not stop within ${STOP_GRACE} s:" \
        "sent SIGKILL to process group ${pids[$i]}" >&2
      kill -KILL -- "-${pids[$i]}" 2>/dev/null || true
    else
      echo "serve: the ${names[$i]} stopped" >&2
    fi
  done
  wait 2>/dev/null || true
}
on_signal() {
  trap - INT TERM
  stop_all
  exit 0
}
trap on_signal INT TERM

if [ "$ROLE" = "all" ] || [ "$ROLE" = "web" ]; then
  start "web server (gunicorn)" "$PY" -m gunicorn -c akrites/gunicorn.conf.py akrites.wsgi:application
fi
if [ "$ROLE" = "all" ] || [ "$ROLE" = "worker" ]; then
  start "task cluster (qcluster)" "$PY" manage.py qcluster
fi
# When one of them dies on its own, stop the other too: half a portal is worse than none.
set +e
wait -n "${pids[@]}"
status=$?
trap - INT TERM
echo "serve: a process exited with status $status; stopping the rest" >&2
stop_all
exit "$status"
