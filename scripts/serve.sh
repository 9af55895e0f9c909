#!/usr/bin/env bash
# Production mode on one machine: gunicorn (web) and the django-q2 cluster (jobs),
# both on the PostgreSQL named by DATABASE_URL. Ctrl-C (or SIGTERM) stops both.
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
export DEBUG=0

"$PY" manage.py collectstatic --noinput --verbosity 0
if [ "${SERVE_MIGRATE:-1}" != "0" ] && [ "$ROLE" != "worker" ]; then
  "$PY" manage.py migrate --noinput
  if "$PY" manage.py help setup_schedules >/dev/null 2>&1; then
    "$PY" manage.py setup_schedules
  fi
fi

pids=()
stop() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
  exit 0
}
trap stop INT TERM

if [ "$ROLE" = "all" ] || [ "$ROLE" = "web" ]; then
  "$PY" -m gunicorn -c akrites/gunicorn.conf.py akrites.wsgi:application &
  pids+=($!)
fi
if [ "$ROLE" = "all" ] || [ "$ROLE" = "worker" ]; then
  "$PY" manage.py qcluster &
  pids+=($!)
fi
# When one of them dies on its own, stop the other too: half a portal is worse than none.
set +e
wait -n "${pids[@]}"
status=$?
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
wait
exit "$status"
