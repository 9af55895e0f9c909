"""A sender stops claiming when its time left cannot cover a batch, so no sender task is
killed by its own timeout (which would send the row in flight twice and hold the
rest of its batch for the lease); the backlog drains through successive tasks.

The unit tests run the sender on a clock that each delivery moves forward; the slow
test runs a real cluster with a short task timeout against a slow local receiver.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Task
from django_q.tasks import async_task

from cases.models import Organisation
from disclosure.notifications import services as notif
from disclosure.notifications.models import Channel, Notification, Status, WebhookSubscription
from tests.disclosure.notifications.conftest import Receiver
from tests.factories import make_organisation
from tests.processes import ROOT, database_url, stop_group, wait_for


class Clock:
    """Seconds since the sender started; every delivery takes ``per_send`` of them and
    is noted in ``sent``."""

    def __init__(self, per_send: float) -> None:
        self.now, self.per_send = 0.0, per_send
        self.sent: list[int] = []

    def __call__(self) -> float:
        return self.now


def webhook_backlog(url: str, rows: int) -> WebhookSubscription:
    org = make_organisation(Organisation.Kind.PARTNER)
    sub = WebhookSubscription.objects.create(organisation=org, url=url)
    Notification.objects.bulk_create(
        Notification(
            subject=f"backlog:{i}",
            subscription=sub,
            channel=Channel.WEBHOOK,
            kind="webhook.test",
            key="webhook.test",
            due_at=timezone.now(),
        )
        for i in range(rows)
    )
    return sub


@pytest.fixture
def slow_sends(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Clock:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.EMAIL_TIMEOUT = 1  # worst case per row: 1 + 1 + 1 s of slack = 3 s
    clock = Clock(per_send=2)

    def deliver(n: Notification) -> None:
        clock.now += clock.per_send
        clock.sent.append(n.pk)

    monkeypatch.setattr(notif.webhooks, "deliver", deliver)
    return clock


@pytest.mark.django_db
def test_the_per_row_worst_case_comes_from_the_webhook_and_mail_timeouts(settings: Any) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS, settings.EMAIL_TIMEOUT = 5, 10
    assert notif.worst_send_seconds() == 11
    settings.EMAIL_TIMEOUT = 2
    assert notif.worst_send_seconds() == 9


@pytest.mark.django_db
def test_the_budget_is_the_task_timeout_minus_a_margin(settings: Any) -> None:
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 120}
    assert notif.send_budget_seconds() == 108
    settings.NOTIFY_SEND_BUDGET_SECONDS = 40
    assert notif.send_budget_seconds() == 40


@pytest.mark.django_db
def test_a_sender_claims_only_what_its_time_left_covers_then_hands_on(
    slow_sends: Clock, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.NOTIFY_KICK_SENDER = True
    monkeypatch.setattr(notif, "_last_kick", 0.0)
    webhook_backlog("https://partner.example.org/hook", rows=10)

    sent = notif.send_all_pending(budget=10, clock=slow_sends)

    # 10 s at 3 s a row at worst: claims 3 (6 s spent), then 1, then 4 - 8 = 2 s left,
    # which covers no row: it stops, with 8 s used of 10, and queues the next sender.
    assert sent == 4
    assert slow_sends.now == 8
    rows = Notification.objects.all()
    assert Counter(r.status for r in rows) == {Status.SENT: 4, Status.PENDING: 6}
    assert {r.attempts for r in rows if r.status == Status.PENDING} == {0}  # never claimed
    assert OrmQ.objects.count() == 1  # the next sender task


@pytest.mark.django_db
def test_successive_senders_drain_a_backlog_each_within_its_budget_and_send_each_row_once(
    slow_sends: Clock, settings: Any
) -> None:
    settings.NOTIFY_KICK_SENDER = False
    webhook_backlog("https://partner.example.org/hook", rows=10)
    runs = []
    for _ in range(5):
        if not Notification.objects.exclude(status=Status.SENT).exists():
            break
        started = slow_sends.now
        runs.append(notif.send_all_pending(budget=10, clock=slow_sends))
        assert slow_sends.now - started <= 10

    assert runs == [4, 4, 2]
    assert len(slow_sends.sent) == len(set(slow_sends.sent)) == 10
    assert {r.attempts for r in Notification.objects.all()} == {1}


# --------------------------------------------------------------------------- a real cluster

ROWS = 24


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_drains_a_slow_receivers_backlog_without_a_timeout_or_a_duplicate(
    receiver: Receiver,
) -> None:
    # Each webhook takes 0.6 s; the task timeout is 12 s, so one sender claiming the
    # whole backlog (14.4 s) would be killed mid-send. Budget 12 - 5 = 7 s, 3 s a row
    # at worst (1 s timeouts): each task sends about 7 rows and queues the next.
    receiver.delay, receiver.expect = 0.6, ROWS
    webhook_backlog(receiver.url, ROWS)
    async_task("disclosure.notifications.tasks.send_pending", group="backlog")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "1",  # allows the local receiver
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "12",
        "WEBHOOK_TIMEOUT_SECONDS": "1",
        "EMAIL_TIMEOUT": "1",
        "LOG_LEVEL": "WARNING",
    }
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert receiver.done.wait(timeout=90), f"{len(receiver.requests)} of {ROWS} arrived"
        unsent = Notification.objects.exclude(status=Status.SENT)
        assert wait_for(lambda: not unsent.exists(), 20), list(
            unsent.values_list("status", "last_error")
        )
        sender_tasks = Task.objects.filter(func__endswith="send_pending")
        assert wait_for(lambda: sender_tasks.count() >= 3, 20)
    finally:
        stop_group(cluster, grace=15)

    assert set(Counter(receiver.ids()).values()) == {1}
    assert len(receiver.ids()) == ROWS
    assert {r.attempts for r in Notification.objects.all()} == {1}
    tasks = list(sender_tasks)
    assert all(t.success for t in tasks), [t.result for t in tasks if not t.success]
    assert all((t.stopped - t.started).total_seconds() < 12 for t in tasks)
