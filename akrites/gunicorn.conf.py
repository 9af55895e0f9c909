"""Gunicorn settings for `make serve` and production; every value can be overridden.

Read by ``gunicorn -c akrites/gunicorn.conf.py akrites.wsgi``. Environment variables
(``WEB_CONCURRENCY``, ``GUNICORN_TIMEOUT``, ...) win over the defaults below, so one
file serves a laptop and a many-core machine alike.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def default_workers(cores: int | None = None, cap: int = 12) -> int:
    """2 x cores + 1 (gunicorn's rule for sync workers), capped.

    The cap keeps a big machine from opening more PostgreSQL connections than the
    server allows (each worker holds one persistent connection, see DB_CONN_MAX_AGE).
    """
    cores = cores or multiprocessing.cpu_count()
    return max(2, min(2 * cores + 1, cap))


bind = os.environ.get(
    "GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = _int("WEB_CONCURRENCY", default_workers(cap=_int("GUNICORN_MAX_WORKERS", 12)))
# Sync workers serve one request at a time, so a health probe on the web port waits
# behind every slow request. Probes go to the health listener instead (below).
worker_class = "sync"


def default_health_bind(web_bind: str) -> str:
    """The web port + 1 on the same address; none for a Unix socket."""
    host, _, port = web_bind.rpartition(":")
    if web_bind.startswith("unix:") or not host or not port.isdigit():
        return ""
    return f"{host}:{int(port) + 1}"


# The health listener (akrites/health_listener.py): /healthz/live, /healthz/ready and
# /healthz on their own port, answered by a thread of the master process, which
# serves no requests and so answers within milliseconds while every worker is busy.
# HEALTH_BIND="" turns it off (the web port answers the same paths, when it can).
health_bind_given = "HEALTH_BIND" in os.environ
health_bind = os.environ.get("HEALTH_BIND", default_health_bind(bind)).strip()
# A request that takes longer than this is a bug or an attack: the worker is killed
# and replaced. Exports of large advisories stay well below it.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never grows unbounded; the jitter
# keeps all workers from restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Refuse oversized request lines and headers early (the upload limit is Django's).
limit_request_line = 8190
limit_request_fields = 100
# Load the application once in the arbiter: workers fork with Django imported, so
# they start fast and share memory pages.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in {"0", "false", "no"}
# "-" is stdout; an empty value turns the access log off (the benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a TLS-terminating proxy, trust its X-Forwarded-* headers only from these.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "akrites-web"


def when_ready(server) -> None:  # noqa: ANN001 - gunicorn hook signature
    if not health_bind:
        return
    import django
    from django.apps import apps

    if not apps.ready:  # GUNICORN_PRELOAD=0: the master has not loaded Django yet
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "akrites.settings")
        django.setup()
    from akrites import health_listener

    try:
        health_listener.start(health_bind)
    except OSError as exc:
        if health_bind_given:
            raise  # asked for explicitly: a probe port that is not there must not go unseen
        # The default port (web port + 1) is taken: serve anyway, and say so.
        server.log.error(
            "No health listener: %s is not free (%s); set HEALTH_BIND", health_bind, exc
        )
        return
    server.log.info("Health listener at http://%s/healthz/{live,ready}", health_bind)


def post_fork(server, worker) -> None:  # noqa: ANN001 - gunicorn hook signature
    # Connections opened in the arbiter while preloading must never be shared by
    # forked workers: close them so each worker opens its own.
    from django import db

    db.connections.close_all()
    if health_bind:
        from akrites import health_listener

        health_listener.close_inherited()
