"""Who manages webhooks: the organisation's admins and the SIRT, through one service for
web and API, each change audited with its actor; other members read, outsiders get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cases.audit import AuditEvent, verify_chain
from cases.models import Membership, Organisation
from disclosure.notifications import webhooks
from disclosure.notifications.models import WebhookSubscription
from tests.api.conftest import token_client
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db

# A receiver URL that carries its own token, as many do: never copied into the audit trail.
URL = "https://hooks.partner.example/akrites/T0KEN-in-the-path?key=s3cret"
CHANGES = ("webhook_test", "webhook_enable", "webhook_disable", "webhook_rotate", "webhook_delete")


@pytest.fixture
def partner_admin(partner_org: Organisation) -> Any:
    user = make_user("partner_admin")
    partner_org.add_member(user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def subscription(partner_org: Organisation) -> WebhookSubscription:
    return WebhookSubscription.objects.create(organisation=partner_org, url=URL)


def _url(name: str, sub: WebhookSubscription) -> str:
    return reverse(f"notifications:{name}", args=[sub.pk])


def _webhook_audit() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith="webhook.").order_by("id"))


# --------------------------------------------------------------------------- members


def test_a_member_who_is_not_an_admin_sees_the_webhook_but_cannot_change_it(
    client_for: Any, partner: Any, subscription: WebhookSubscription
) -> None:
    client = client_for(partner)
    before = WebhookSubscription.objects.values().get(pk=subscription.pk)

    assert URL in client.get(reverse("notifications:webhook_list")).content.decode()
    page = client.get(_url("webhook_detail", subscription))
    assert page.status_code == 200
    assert subscription.secret not in page.content.decode()
    assert 'action="' + _url("webhook_delete", subscription) not in page.content.decode()
    edit = {"url": "https://evil.example/x", "expected_version": subscription.version}
    assert client.post(_url("webhook_detail", subscription), edit).status_code == 403
    for name in CHANGES:
        assert client.post(_url(name, subscription)).status_code == 403, name

    assert WebhookSubscription.objects.values().get(pk=subscription.pk) == before
    assert _webhook_audit() == []


def test_a_member_who_is_not_an_admin_cannot_add_a_webhook_by_web_or_api(
    client_for: Any, partner: Any, partner_org: Organisation, subscription: WebhookSubscription
) -> None:
    client = client_for(partner)
    new = reverse("notifications:webhook_create")
    assert client.get(new).status_code == 403
    assert client.post(new, {"organisation": partner_org.pk, "url": URL}).status_code == 403

    api = token_client(partner)
    body = {"organisation": partner_org.slug, "url": URL}
    assert api.post("/api/v1/webhooks/", body, format="json").status_code == 403
    assert api.get(f"/api/v1/webhooks/{subscription.pk}/").status_code == 200
    assert api.delete(f"/api/v1/webhooks/{subscription.pk}/").status_code == 403

    assert list(WebhookSubscription.objects.all()) == [subscription]


def test_an_admin_of_one_organisation_cannot_manage_another_one_they_are_a_member_of(
    partner: Any, partner_org: Organisation
) -> None:
    own = make_organisation(Organisation.Kind.DOWNSTREAM)
    own.add_member(partner, role=Membership.Role.ADMIN)
    api = token_client(partner)

    response = api.post(
        "/api/v1/webhooks/", {"organisation": partner_org.slug, "url": URL}, format="json"
    )

    assert response.status_code == 403
    assert not WebhookSubscription.objects.exists()


# --------------------------------------------------------------------------- outsiders


def test_outsiders_of_the_organisation_never_learn_about_its_webhooks(
    client_for: Any, subscription: WebhookSubscription, maintainer: Any, outsider: Any
) -> None:
    other_admin = make_user("other_admin")
    make_organisation(Organisation.Kind.PARTNER).add_member(other_admin, role=Membership.Role.ADMIN)
    for user in (maintainer, outsider, other_admin):
        client = client_for(user)
        assert URL not in client.get(reverse("notifications:webhook_list")).content.decode()
        assert client.get(_url("webhook_detail", subscription)).status_code == 404
        for name in CHANGES:
            assert client.post(_url(name, subscription)).status_code == 404, name
        api = token_client(user)
        assert api.get("/api/v1/webhooks/").json() == []
        assert api.get(f"/api/v1/webhooks/{subscription.pk}/").status_code == 404
        assert api.delete(f"/api/v1/webhooks/{subscription.pk}/").status_code == 404

    # Naming the organisation reads exactly as naming one that does not exist.
    api = token_client(other_admin)
    answers = [
        api.post("/api/v1/webhooks/", {"organisation": slug, "url": URL}, format="json")
        for slug in (subscription.organisation.slug, "no-such-organisation")
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert WebhookSubscription.objects.count() == 1


# --------------------------------------------------------------------------- admins, audited


def test_every_change_by_an_admin_is_audited_with_the_actor(
    client_for: Any, partner_admin: Any, partner_org: Organisation
) -> None:
    client = client_for(partner_admin)

    created = client.post(
        reverse("notifications:webhook_create"), {"organisation": partner_org.pk, "url": URL}
    )
    sub = WebhookSubscription.objects.get()
    assert created.status_code == 302
    edited = client.post(
        _url("webhook_detail", sub),
        {"url": URL, "description": "SOC", "expected_version": sub.version},
    )
    assert edited.status_code == 302
    for name in ("webhook_disable", "webhook_enable", "webhook_rotate", "webhook_delete"):
        assert client.post(_url(name, sub)).status_code == 302, name

    events = _webhook_audit()
    assert [e.action for e in events] == [
        "webhook.created",
        "webhook.updated",
        "webhook.disabled",
        "webhook.enabled",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]
    assert {e.actor for e in events} == {partner_admin}
    assert {e.object_id for e in events} == {str(sub.pk)}
    assert {e.data["organisation"] for e in events} == {partner_org.slug}
    assert events[1].data["fields"] == ["description"]
    for event in events:
        assert "T0KEN" not in str(event.data) and "s3cret" not in str(event.data)
    assert events[0].data["host"] == "hooks.partner.example"
    assert not WebhookSubscription.objects.exists()
    assert verify_chain()[1] is None


def test_disabling_by_hand_stops_deliveries_until_enabled(
    client_for: Any, partner_admin: Any, subscription: WebhookSubscription
) -> None:
    client_for(partner_admin).post(_url("webhook_disable", subscription))

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "partner_admin" in subscription.disabled_reason


def test_the_api_creates_and_deletes_through_the_same_audited_service(
    partner_admin: Any, partner_org: Organisation
) -> None:
    api = token_client(partner_admin)

    created = api.post(
        "/api/v1/webhooks/", {"organisation": partner_org.slug, "url": URL}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert api.delete(f"/api/v1/webhooks/{created.json()['id']}/").status_code == 204

    assert [(e.action, e.actor) for e in _webhook_audit()] == [
        ("webhook.created", partner_admin),
        ("webhook.deleted", partner_admin),
    ]


def test_the_api_refuses_unknown_event_types_as_a_field_error(
    partner_admin: Any, partner_org: Organisation
) -> None:
    response = token_client(partner_admin).post(
        "/api/v1/webhooks/",
        {"organisation": partner_org.slug, "url": URL, "event_types": ["case.everything"]},
        format="json",
    )

    assert response.status_code == 400
    assert "event_types" in response.json()["error"]["fields"]


def test_the_sirt_manages_the_webhooks_of_any_organisation(
    client_for: Any, coordinator: Any, partner_org: Organisation, subscription: WebhookSubscription
) -> None:
    client = client_for(coordinator)
    assert URL in client.get(reverse("notifications:webhook_list")).content.decode()
    assert client.post(_url("webhook_rotate", subscription)).status_code == 302

    api = token_client(coordinator)
    created = api.post(
        "/api/v1/webhooks/", {"organisation": partner_org.slug, "url": URL}, format="json"
    )
    assert created.status_code == 201
    assert api.delete(f"/api/v1/webhooks/{subscription.pk}/").status_code == 204

    assert [(e.action, e.actor) for e in _webhook_audit()] == [
        ("webhook.secret_rotated", coordinator),
        ("webhook.created", coordinator),
        ("webhook.deleted", coordinator),
    ]


def test_automatic_disabling_is_audited_without_an_actor(
    subscription: WebhookSubscription, settings: Any
) -> None:
    settings.WEBHOOK_DISABLE_AFTER = 1

    webhooks.record_failure(subscription.pk)

    (event,) = _webhook_audit()
    assert (event.action, event.actor, event.data["failures"]) == ("webhook.disabled", None, 1)
