"""Sessions: idle timeout, and every session and API token ends on deactivation,
password change and second-factor reset (the reset is in test_mfa.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from cases.accounts.sessions import end_all_sessions
from cases.audit import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sessions_of(user: Any) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def test_deactivating_a_user_ends_their_sessions_and_api_tokens(
    maintainer: Any, partner: Any
) -> None:
    browser, laptop, bystander = signed_in(maintainer), signed_in(maintainer), signed_in(partner)
    _, secret = AuthToken.objects.create(user=maintainer)
    assert sessions_of(maintainer) == 2

    maintainer.is_active = False
    maintainer.save()  # as the admin's change form does

    assert sessions_of(maintainer) == 0
    assert not AuthToken.objects.filter(user=maintainer).exists()
    assert sessions_of(partner) == 1
    for client in (browser, laptop):
        assert client.get(reverse("cases:home"))["Location"].startswith(reverse("login"))
    api = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.status_code == 401
    assert bystander.get(reverse("cases:home")).status_code == 200
    event = AuditEvent.objects.get(action="auth.sessions.ended")
    assert event.object_label == "maint"
    assert event.data == {"reason": "deactivated"}


def test_saving_an_active_user_does_not_end_their_sessions(maintainer: Any) -> None:
    signed_in(maintainer)
    maintainer.first_name = "Mae"
    maintainer.save()
    assert sessions_of(maintainer) == 1


def test_changing_the_password_ends_api_tokens_and_other_sessions(maintainer: Any) -> None:
    here, elsewhere = signed_in(maintainer), signed_in(maintainer)
    AuthToken.objects.create(user=maintainer)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-long-passphrase",
            "new_password2": "a-brand-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert not AuthToken.objects.filter(user=maintainer).exists()
    assert here.get(reverse("cases:home")).status_code == 200
    assert elsewhere.get(reverse("cases:home"))["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(action="auth.password.changed", actor=maintainer).exists()


def test_end_all_sessions_reports_how_many_ended(maintainer: Any) -> None:
    signed_in(maintainer)
    AuthToken.objects.create(user=maintainer)
    assert end_all_sessions(maintainer, reason="test") == 2


def test_an_idle_session_is_signed_out_after_the_timeout(maintainer: Any) -> None:
    idle = settings.SESSION_IDLE_TIMEOUT
    with time_machine.travel(time.time(), tick=False) as clock:
        client = signed_in(maintainer)
        assert client.get(reverse("cases:home")).status_code == 200
        clock.shift(idle - 60)
        assert client.get(reverse("cases:home")).status_code == 200  # activity renews it
        clock.shift(idle - 60)
        assert client.get(reverse("cases:home")).status_code == 200
        clock.shift(idle + 1)
        response = client.get(reverse("cases:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_session_cookies_are_http_only_and_same_site() -> None:
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert settings.CSRF_COOKIE_SAMESITE in ("Lax", "Strict")
