"""Audit rows for sign-in, failed sign-in and sign-out (Django's auth signals)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from cases import audit
from cases.accounts import sessions  # noqa: F401 - connects the deactivation receivers
from cases.types import User


@receiver(user_logged_in, dispatch_uid="akrites_audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit.record("auth.login", actor=user, request=request, obj=user)


@receiver(user_login_failed, dispatch_uid="akrites_audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the username: never the (already masked) password or other fields.
    username = str(credentials.get("username", ""))[:150]
    audit.record("auth.login_failed", actor=None, request=request, username=username)


@receiver(user_logged_out, dispatch_uid="akrites_audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if user is not None:
        audit.record("auth.logout", actor=user, request=request, obj=user)


@receiver(user_locked_out, dispatch_uid="akrites_audit_locked_out")
def _locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    audit.record("auth.locked_out", actor=None, request=request, username=str(username or "")[:150])
