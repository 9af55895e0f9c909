"""Sending: claimed atomically, sent outside the transaction, retried, failed visibly, once."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from cases import services
from cases.models import Case
from disclosure.notifications import services as notif
from disclosure.notifications.models import Channel, KindPreference, Notification, Status
from tests.disclosure.notifications.conftest import emails_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_email(case: Case, coordinator: Any, maintainer: Any) -> Notification:
    # A comment is digest material by default (quiet by default): this maintainer
    # chose to have comments mailed at once.
    KindPreference.objects.create(user=maintainer, kind="comment.posted", email_when="now")
    services.post_comment(case, coordinator, "Ping.")
    (row,) = emails_to(maintainer, "comment.posted")
    # Only this one mail is waiting (not the case's opening notices).
    Notification.objects.filter(channel=Channel.EMAIL).exclude(pk=row.pk).delete()
    return row


def mails_to(user: Any) -> list[Any]:
    return [m for m in mail.outbox if m.to == [user.email]]


def test_a_pending_email_is_sent_once_and_marked_sent(
    pending_email: Notification, maintainer: Any
) -> None:
    notif.send_all_pending()
    notif.send_all_pending()

    assert len(mails_to(maintainer)) == 1
    pending_email.refresh_from_db()
    assert pending_email.status == Status.SENT
    assert pending_email.sent_at is not None
    assert pending_email.attempts == 1


def test_a_claimed_row_is_not_claimed_again_while_its_lease_runs(
    pending_email: Notification,
) -> None:
    first = notif.claim()
    second = notif.claim()

    assert first.ids == [pending_email.pk]
    assert second.ids == []


def test_a_crash_between_claim_and_send_is_retried_after_the_lease_and_sent_once(
    pending_email: Notification, maintainer: Any
) -> None:
    crashed = notif.claim()  # a sender claims, then dies before sending
    assert crashed.ids == [pending_email.pk]

    assert notif.send_pending() == 0  # the lease still runs: nobody else takes it
    assert mails_to(maintainer) == []

    with time_machine.travel(crashed.lease_until + dt.timedelta(seconds=1), tick=False):
        assert notif.send_pending() == 1
        assert notif.send_pending() == 0
        # The crashed sender comes back to life: its claim is no longer the current one.
        notif.deliver(pending_email.pk, crashed.token)

    assert len(mails_to(maintainer)) == 1
    pending_email.refresh_from_db()
    assert pending_email.status == Status.SENT
    assert pending_email.attempts == 2


def _failing_send(self: Any, fail_silently: bool = False) -> int:
    raise smtplib.SMTPServerDisconnected("mail server went away")


def test_failures_are_retried_with_exponential_backoff_then_marked_failed(
    pending_email: Notification, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 4
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    monkeypatch.setattr(EmailMultiAlternatives, "send", _failing_send)
    now = timezone.now()
    waits = []
    with time_machine.travel(now, tick=False) as traveller:
        for _ in range(4):
            notif.send_all_pending()
            pending_email.refresh_from_db()
            if pending_email.status == Status.PENDING:
                waits.append((pending_email.next_attempt_at - timezone.now()).total_seconds())
                assert notif.send_pending() == 0  # not due before its back-off
                traveller.move_to(pending_email.next_attempt_at)

    assert waits == [60, 120, 240]
    assert pending_email.status == Status.FAILED
    assert pending_email.attempts == 4
    assert "SMTPServerDisconnected" in pending_email.last_error


def test_coordinators_see_failed_deliveries_and_can_send_them_again(
    pending_email: Notification, client_for: Any, coordinator: Any, maintainer: Any
) -> None:
    Notification.objects.filter(pk=pending_email.pk).update(
        status=Status.FAILED, attempts=5, last_error="SMTPServerDisconnected: gone"
    )

    page = client_for(coordinator).get("/notifications/failures/")
    assert page.status_code == 200
    assert "SMTPServerDisconnected" in page.content.decode()
    # SIRT-only: the page does not exist for anyone else.
    assert client_for(maintainer).get("/notifications/failures/").status_code == 404

    client_for(coordinator).post(f"/notifications/failures/{pending_email.pk}/retry/")
    notif.send_all_pending()

    pending_email.refresh_from_db()
    assert pending_email.status == Status.SENT
    assert len(mails_to(maintainer)) == 1


def test_a_recipient_without_an_email_address_is_skipped_not_retried(
    pending_email: Notification, maintainer: Any
) -> None:
    type(maintainer).objects.filter(pk=maintainer.pk).update(email="")

    notif.send_all_pending()

    pending_email.refresh_from_db()
    assert pending_email.status == Status.SKIPPED


def test_in_app_rows_are_never_claimed_by_senders(case: Case, coordinator: Any) -> None:
    services.post_comment(case, coordinator, "Ping.")

    claim = notif.claim(batch=1000)

    assert not Notification.objects.filter(pk__in=claim.ids, channel=Channel.IN_APP).exists()
