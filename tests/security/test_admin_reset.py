"""Staff reset a user's second factor from the User admin: OTP devices go, every session
and API token of the user ends, and the audit trail records who did it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from cases.audit import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:auth_user_changelist"
ACTION = "reset_second_factor_action"


@pytest.fixture
def staff(db: Any) -> Any:
    return make_user("staff", is_staff=True, is_superuser=True)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sessions_of(user: Any) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def run_action(client: Client, *users: Any) -> Any:
    return client.post(
        reverse(CHANGELIST), {"action": ACTION, "_selected_action": [u.pk for u in users]}
    )


def test_the_user_changelist_offers_the_reset_action(staff: Any) -> None:
    page = signed_in(staff).get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert f'value="{ACTION}"' in page.content.decode()


def test_resetting_a_users_second_factor_ends_their_sessions_and_tokens(
    staff: Any, coordinator: Any, maintainer: Any
) -> None:
    TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    StaticDevice.objects.create(user=coordinator, name="recovery codes")
    laptop, phone = signed_in(coordinator), signed_in(coordinator)
    bystander = signed_in(maintainer)
    _, secret = AuthToken.objects.create(user=coordinator)
    AuthToken.objects.create(user=maintainer)
    admin = signed_in(staff)
    assert sessions_of(coordinator) == 2

    response = run_action(admin, coordinator)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not StaticDevice.objects.filter(user=coordinator).exists()
    assert sessions_of(coordinator) == 0
    assert not AuthToken.objects.filter(user=coordinator).exists()
    for client in (laptop, phone):
        assert client.get(reverse("cases:home"))["Location"].startswith(reverse("login"))
    api = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.status_code == 401
    # Nobody else is touched, the staff member included.
    assert sessions_of(maintainer) == 1 and AuthToken.objects.filter(user=maintainer).exists()
    assert bystander.get(reverse("cases:home")).status_code == 200
    assert admin.get(reverse(CHANGELIST)).status_code == 200


def test_the_reset_is_audited_with_the_staff_member_as_actor(staff: Any, coordinator: Any) -> None:
    TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    run_action(signed_in(staff), coordinator)

    events = {
        e.action: e
        for e in AuditEvent.objects.filter(object_label=coordinator.get_username())
        if e.action in {"admin.user.2fa_reset", "auth.2fa.reset", "auth.sessions.ended"}
    }
    assert set(events) == {"admin.user.2fa_reset", "auth.2fa.reset", "auth.sessions.ended"}
    assert all(e.actor == staff for e in events.values())
    assert events["auth.sessions.ended"].data == {"reason": "2fa_reset"}


def test_several_users_are_reset_at_once(staff: Any, maintainer: Any, partner: Any) -> None:
    for user in (maintainer, partner):
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        signed_in(user)

    run_action(signed_in(staff), maintainer, partner)

    assert not TOTPDevice.objects.filter(user__in=[maintainer, partner]).exists()
    assert sessions_of(maintainer) == sessions_of(partner) == 0
    assert AuditEvent.objects.filter(action="admin.user.2fa_reset").count() == 2


def test_staff_without_user_change_permission_cannot_run_it(coordinator: Any) -> None:
    clerk = make_user("clerk", is_staff=True)
    TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)

    response = run_action(signed_in(clerk), coordinator)

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=coordinator).exists()
    assert not AuditEvent.objects.filter(action="admin.user.2fa_reset").exists()


def test_staff_who_may_only_view_users_cannot_run_it(coordinator: Any) -> None:
    from django.contrib.auth.models import Permission

    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    client = signed_in(viewer)
    assert f'value="{ACTION}"' not in client.get(reverse(CHANGELIST)).content.decode()

    run_action(client, coordinator)

    assert TOTPDevice.objects.filter(user=coordinator).exists()
    assert not AuditEvent.objects.filter(action="admin.user.2fa_reset").exists()
