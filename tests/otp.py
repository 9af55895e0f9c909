"""Second-factor helpers for tests: sign a test client in as OTP-verified."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_totp_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    return device


def mark_otp_verified(client: Client, user: Any) -> TOTPDevice:
    """Record in the client's session that ``user`` passed the second-factor step."""
    device = confirmed_totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def otp_login(client: Client, user: Any) -> Client:
    """``force_login`` plus a verified second factor, as after the real two-step sign-in."""
    _original_force_login(client, user)
    mark_otp_verified(client, user)
    return client


_original_force_login = Client.force_login
_original_login = Client.login

# Tests that check the second-factor step itself switch this off (fixture
# ``without_auto_otp``); everywhere else a SIRT or staff persona signed in with
# ``force_login``/``login`` is treated as having passed it, as in real use.
AUTO_VERIFY = True


def _auto_verify(client: Client, user: Any) -> None:
    from cases.accounts.mfa import requires_second_factor

    if AUTO_VERIFY and requires_second_factor(user):
        mark_otp_verified(client, user)


def force_login_with_otp(self: Client, user: Any, backend: str | None = None) -> None:
    _original_force_login(self, user, backend)
    _auto_verify(self, user)


def login_with_otp(self: Client, **credentials: Any) -> bool:
    ok = _original_login(self, **credentials)
    if ok:
        from django.contrib.auth import get_user_model

        user_id = self.session.get("_auth_user_id")
        _auto_verify(self, get_user_model().objects.get(pk=user_id))
    return ok
