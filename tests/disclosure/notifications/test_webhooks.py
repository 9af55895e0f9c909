"""Partner webhooks: Standard Webhooks signatures, thin payloads, retries, auto-disable, UI."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from cases import services
from cases.models import Case, Membership, Organisation
from disclosure.notifications import services as notif
from disclosure.notifications import webhooks
from disclosure.notifications.models import (
    Channel,
    Notification,
    Status,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.disclosure.notifications.conftest import Receiver, rows_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(partner_org: Organisation, receiver: Receiver) -> WebhookSubscription:
    return WebhookSubscription.objects.create(organisation=partner_org, url=receiver.url)


@pytest.fixture
def partner_admin(partner_org: Organisation) -> Any:
    """An admin of the partner organisation: the one who manages its webhooks."""
    user = make_user("partner_admin")
    partner_org.add_member(user, role=Membership.Role.ADMIN)
    return user


def test_signatures_verify_with_the_standard_webhooks_library(
    subscription: WebhookSubscription,
    receiver: Receiver,
    partner_case: Case,
    coordinator: Any,
) -> None:
    partner_case.transition("accept", coordinator)

    notif.send_all_pending()

    (request,) = receiver.requests
    verified = Webhook(subscription.secret).verify(request["body"], request["headers"])
    assert verified["type"] == "case.state_changed"
    assert request["headers"]["webhook-signature"].startswith("v1,")
    assert request["headers"]["webhook-id"].startswith("msg_")


def test_a_tampered_body_does_not_verify(
    subscription: WebhookSubscription, receiver: Receiver, partner_case: Case, coordinator: Any
) -> None:
    partner_case.transition("accept", coordinator)
    notif.send_all_pending()
    (request,) = receiver.requests

    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(subscription.secret).verify(request["body"] + b" ", request["headers"])


def test_our_signing_matches_the_published_algorithm_byte_for_byte(
    subscription: WebhookSubscription,
) -> None:
    body = b'{"type":"webhook.test"}'
    timestamp = dt.datetime.fromtimestamp(1_700_000_000, tz=dt.UTC)

    theirs = Webhook(subscription.secret).sign("msg_1", timestamp, body.decode())

    assert webhooks.sign(subscription.secret, "msg_1", "1700000000", body) == theirs


def test_payloads_of_confidential_cases_are_thin(
    subscription: WebhookSubscription, receiver: Receiver, partner_case: Case, coordinator: Any
) -> None:
    services.post_comment(partner_case, coordinator, "Exploit: send 4 GB of zeros.")

    notif.send_all_pending()

    (request,) = receiver.requests
    payload = request["json"]
    assert payload["type"] == "comment.posted"
    assert set(payload["data"]) == {"case_id", "case_reference", "comment_id"}
    assert payload["data"]["case_reference"] == partner_case.reference
    assert partner_case.title.encode() not in request["body"]
    assert b"Exploit" not in request["body"]


def test_organisations_outside_the_case_get_no_webhook(
    receiver: Receiver, case: Case, coordinator: Any
) -> None:
    stranger = Organisation.create(name="Elsewhere", slug="elsewhere", kind="partner")
    WebhookSubscription.objects.create(organisation=stranger, url=receiver.url)

    case.transition("accept", coordinator)
    notif.send_all_pending()

    assert receiver.requests == []


def test_subscriptions_receive_only_the_event_types_they_chose(
    subscription: WebhookSubscription, receiver: Receiver, partner_case: Case, coordinator: Any
) -> None:
    subscription.event_types = ["comment.posted"]
    subscription.save()

    partner_case.transition("accept", coordinator)
    services.post_comment(partner_case, coordinator, "Hello")
    notif.send_all_pending()

    assert [r["json"]["type"] for r in receiver.requests] == ["comment.posted"]


def test_a_failing_receiver_gets_retries_with_backoff_and_is_finally_disabled(
    subscription: WebhookSubscription,
    receiver: Receiver,
    partner_case: Case,
    coordinator: Any,
    partner: Any,
    settings: Any,
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 4
    settings.WEBHOOK_DISABLE_AFTER = 4
    Membership.objects.filter(user=partner).update(role=Membership.Role.ADMIN)
    receiver.status = 500
    partner_case.transition("accept", coordinator)
    (row,) = Notification.objects.filter(subscription=subscription)

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(4):
            notif.send_all_pending()
            row.refresh_from_db()
            if row.status == Status.PENDING:
                traveller.move_to(row.next_attempt_at)

    assert len(receiver.requests) == 4
    assert len(set(receiver.ids())) == 1  # the same webhook-id on every retry
    row.refresh_from_db()
    assert row.status == Status.FAILED
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "4 failed deliveries" in subscription.disabled_reason
    log = WebhookDelivery.objects.filter(subscription=subscription)
    assert sorted(d.attempt for d in log) == [1, 2, 3, 4]
    assert {d.error for d in log} == {"HTTP 500"}
    assert rows_for(partner, "webhook.disabled", Channel.IN_APP)
    assert rows_for(partner, "webhook.disabled", Channel.EMAIL)

    # Disabled: new events are not queued for it any more.
    services.post_comment(partner_case, coordinator, "Hello again")
    assert Notification.objects.filter(subscription=subscription).count() == 1


def test_a_success_resets_the_failure_count(
    subscription: WebhookSubscription, receiver: Receiver, partner_case: Case, coordinator: Any
) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=3)

    partner_case.transition("accept", coordinator)
    notif.send_all_pending()

    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
    assert subscription.is_active


def test_private_targets_are_refused_in_production_settings(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    for url in (
        "http://127.0.0.1:9100/",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://localhost/",
    ):
        with pytest.raises(Exception, match="private or local"):
            webhooks.check_target(url)
    for url in ("ftp://example.org/", "file:///etc/passwd", "https://user:pw@example.org/"):
        with pytest.raises(Exception, match="http|credentials"):
            webhooks.check_target(url)


def test_a_delivery_to_a_private_target_fails_when_they_are_not_allowed(
    subscription: WebhookSubscription,
    receiver: Receiver,
    partner_case: Case,
    coordinator: Any,
    settings: Any,
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    partner_case.transition("accept", coordinator)
    notif.send_all_pending()

    assert receiver.requests == []
    (delivery,) = WebhookDelivery.objects.all()
    assert "private or local" in delivery.error


# --------------------------------------------------------------------------- the web UI


def test_a_partner_admin_adds_a_webhook_and_sends_a_test_event(
    client_for: Any, partner_admin: Any, partner_org: Organisation, receiver: Receiver
) -> None:
    client = client_for(partner_admin)
    assert client.get("/notifications/webhooks/new/").status_code == 200

    response = client.post(
        "/notifications/webhooks/new/",
        {"organisation": partner_org.pk, "url": receiver.url, "description": "SOC"},
    )
    sub = WebhookSubscription.objects.get(organisation=partner_org)
    assert response.status_code == 302
    assert client.get(f"/notifications/webhooks/{sub.pk}/").status_code == 200

    client.post(f"/notifications/webhooks/{sub.pk}/test/")
    notif.send_all_pending()

    (request,) = receiver.requests
    assert Webhook(sub.secret).verify(request["body"], request["headers"])["type"] == (
        "webhook.test"
    )
    page = client.get(f"/notifications/webhooks/{sub.pk}/").content.decode()
    assert "webhook.test" in page


def test_an_invalid_webhook_url_is_a_field_error(
    client_for: Any, partner_admin: Any, partner_org: Organisation
) -> None:
    response = client_for(partner_admin).post(
        "/notifications/webhooks/new/",
        {"organisation": partner_org.pk, "url": "ftp://example.org/x"},
    )

    assert response.status_code == 400
    assert "url" in response.context["form"].errors
    assert not WebhookSubscription.objects.exists()


def test_another_organisations_webhook_answers_404(
    client_for: Any, subscription: WebhookSubscription, maintainer: Any, outsider: Any
) -> None:
    for user in (maintainer, outsider):
        client = client_for(user)
        assert client.get(f"/notifications/webhooks/{subscription.pk}/").status_code == 404
        assert client.post(f"/notifications/webhooks/{subscription.pk}/test/").status_code == 404
        assert client.post(f"/notifications/webhooks/{subscription.pk}/delete/").status_code == 404
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_someone_in_no_organisation_cannot_add_a_webhook(client_for: Any) -> None:
    loner = make_user()

    assert client_for(loner).get("/notifications/webhooks/new/").status_code == 403


def test_a_disabled_webhook_can_be_enabled_again(
    client_for: Any, subscription: WebhookSubscription, partner_admin: Any
) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, consecutive_failures=10, disabled_reason="Disabled after 10"
    )

    client_for(partner_admin).post(f"/notifications/webhooks/{subscription.pk}/enable/")

    subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.consecutive_failures == 0


def test_a_published_advisory_names_its_public_identifier_in_the_webhook(
    subscription: WebhookSubscription, receiver: Receiver, partner_case: Case, coordinator: Any
) -> None:
    from disclosure.models import Advisory, AdvisoryState

    advisory = Advisory.objects.create(
        case=partner_case,
        identifier="AKRITES-2026-4242",
        title="t",
        summary="s",
        author=coordinator,
        state=AdvisoryState.PUBLISHED,
        revision=1,
        published_at=timezone.now(),
    )

    notif.record_event("advisory.published", case_id=partner_case.pk, advisory_id=advisory.pk)
    notif.send_all_pending()

    (request,) = receiver.requests
    data = request["json"]["data"]
    assert data["advisory_identifier"] == "AKRITES-2026-4242"
    assert data["advisory_url"].endswith("/advisories/AKRITES-2026-4242/")


def test_editing_a_webhook_from_a_stale_version_is_refused(
    client_for: Any, subscription: WebhookSubscription, partner_admin: Any
) -> None:
    client = client_for(partner_admin)
    url = f"/notifications/webhooks/{subscription.pk}/"
    stale = subscription.version
    assert (
        client.post(url, {"url": "https://a.example/hook", "expected_version": stale}).status_code
        == 302
    )

    response = client.post(url, {"url": "https://b.example/hook", "expected_version": stale})

    assert response.status_code == 409
    subscription.refresh_from_db()
    assert subscription.url == "https://a.example/hook"
    assert subscription.version == stale + 1
