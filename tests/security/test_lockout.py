"""Brute force: django-axes locks a (username, client address) pair after repeated failures."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from cases.audit import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_account_is_locked_after_the_failure_limit_even_with_the_right_password(
    maintainer: Any,
) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "maint", "wrong-guess").status_code == 200
    locked = attempt(client, "maint", "wrong-guess")
    assert locked.status_code == 429
    assert "Sign-in temporarily locked" in locked.content.decode()

    right = attempt(client, "maint", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action="auth.login_failed")
    assert failures.count() >= settings.AXES_FAILURE_LIMIT
    assert failures.first().data == {"username": "maint"}
    assert AuditEvent.objects.filter(action="auth.locked_out", data={"username": "maint"}).exists()


def test_successful_sign_in_below_the_limit_is_allowed(maintainer: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "maint", "wrong-guess")
    assert attempt(client, "maint", PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor=maintainer).exists()


@override_settings(
    AXES_IPWARE_PROXY_COUNT=1,
    AXES_IPWARE_META_PRECEDENCE_ORDER=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
)
def test_behind_a_proxy_the_lockout_is_per_client_address_not_per_proxy(
    maintainer: Any,
) -> None:
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.2", "REMOTE_ADDR": "10.0.0.2"}
    colleague = {"HTTP_X_FORWARDED_FOR": "198.51.100.4, 10.0.0.2", "REMOTE_ADDR": "10.0.0.2"}
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "maint", "wrong-guess", **attacker)
    assert attempt(Client(), "maint", PASSWORD, **attacker).status_code == 429
    assert attempt(Client(), "maint", PASSWORD, **colleague).status_code == 302
    failed = AuditEvent.objects.filter(action="auth.login_failed").first()
    assert failed.ip == "203.0.113.7"


def test_the_admin_login_is_locked_too(db: Any) -> None:
    from tests.factories import make_user

    make_user("boss", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "boss", "password": "wrong-guess"})
    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert response.status_code == 429
