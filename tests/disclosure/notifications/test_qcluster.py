"""Two real django-q2 clusters on PostgreSQL, one queue: every notification goes out once.

Starts two ``manage.py qcluster`` processes against the test database (committed
data: ``transaction=True``), queues sender tasks, and counts what a real local HTTP
receiver gets. Slow: run with ``-m slow`` (it is part of the full suite).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.tasks import async_task

from cases.models import Organisation
from disclosure.notifications.models import Channel, Notification, Status, WebhookSubscription
from tests.disclosure.notifications.conftest import Receiver
from tests.factories import make_organisation, make_user

ROOT = Path(__file__).resolve().parents[3]
ROWS = 40


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_cluster() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "1",  # allows the local receiver; console logging
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "Q_WORKERS": "2",
        "NOTIFY_SEND_BATCH": "3",  # small claims, so the workers compete row by row
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stopped with its workers
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_qcluster_processes_send_every_notification_exactly_once(
    receiver: Receiver,
) -> None:
    receiver.expect = ROWS
    org = make_organisation(Organisation.Kind.PARTNER)
    user = make_user(organisation=org)
    sub = WebhookSubscription.objects.create(organisation=org, url=receiver.url)
    now = timezone.now()
    common = {"kind": "webhook.test", "key": "webhook.test", "due_at": now}
    Notification.objects.bulk_create(
        [
            Notification(subject=f"load:{i}", subscription=sub, channel=Channel.WEBHOOK, **common)
            for i in range(ROWS)
        ]
        + [
            Notification(subject=f"load:{i}", recipient=user, channel=Channel.EMAIL, **common)
            for i in range(ROWS)
        ]
    )
    for _ in range(12):
        async_task("disclosure.notifications.tasks.send_pending", group="load-test")

    clusters = [_start_cluster(), _start_cluster()]
    try:
        assert receiver.done.wait(timeout=150), (
            f"only {len(receiver.requests)} of {ROWS} webhooks arrived; "
            + " | ".join(
                (p.stderr.read1(2000) if p.poll() is not None else b"").decode() for p in clusters
            )
        )
        waiting = threading.Event()
        for _ in range(300):  # the last rows are being marked sent
            if not Notification.objects.exclude(status=Status.SENT).exists():
                break
            waiting.wait(0.1)
        assert all(p.poll() is None for p in clusters), "a cluster died"
    finally:
        for p in clusters:
            _stop(p)

    per_id = Counter(receiver.ids())
    assert len(per_id) == ROWS
    assert set(per_id.values()) == {1}
    rows = Notification.objects.all()
    assert {r.status for r in rows} == {Status.SENT}
    assert {r.attempts for r in rows} == {1}
