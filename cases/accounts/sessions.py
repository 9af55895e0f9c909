"""Ending every session and API token of a user.

Called when a user is deactivated (signal: the admin and scripts save the user row
directly, there is no other hook), when their second factor is reset
(``mfa.reset_second_factor``) and when their password changes (Django already rejects
their other sessions through the session auth hash; ``PasswordChangeEndsTokens`` ends
the API tokens, on every path that saves a new password).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from knox.models import AuthToken

from cases import audit
from cases.types import User


def end_all_sessions(user: User, *, reason: str, request: HttpRequest | None = None) -> int:
    """Delete every browser session and API token of ``user``; return how many ended."""
    user_id = str(user.pk)
    ended = 0
    with transaction.atomic():
        # Sessions are stored signed and encoded; a SIRT portal has few live ones, so
        # decoding each is cheaper than keeping a second index of them.
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == user_id:
                session.delete()
                ended += 1
        ended += end_api_tokens(user)
        audit.record(
            "auth.sessions.ended",
            actor=_actor(request, user),
            request=request,
            obj=user,
            reason=reason,
        )
    current = getattr(request, "user", None) if request is not None else None
    if request is not None and current is not None and getattr(current, "pk", None) == user.pk:
        # The current session was among them: drop it from this response too.
        request.session.flush()
    return ended


def end_api_tokens(user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def _actor(request: HttpRequest | None, user: User) -> User | None:
    actor = getattr(request, "user", None) if request is not None else None
    return actor if isinstance(actor, User) else None  # None: not signed in


class PasswordChangeEndsTokens:
    """Password "validator" used for its ``password_changed`` hook, which Django calls
    after every saved password change (own change, reset link, admin, command)."""

    def validate(self, password: str, user: User | None = None) -> None:
        return None

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None:
            return
        if end_api_tokens(user):
            audit.record("api.token.revoked", actor=user, obj=user, reason="password_changed")
        audit.record("auth.password.changed", actor=user, obj=user)

    def get_help_text(self) -> str:
        return "Changing your password signs out your other sessions and ends your API tokens."


@receiver(pre_save, sender=get_user_model(), dispatch_uid="akrites_detect_deactivation")
def _detect_deactivation(sender: Any, instance: Any, **kwargs: Any) -> None:
    instance._akrites_deactivated = bool(
        instance.pk
        and not instance.is_active
        and sender.objects.filter(pk=instance.pk, is_active=True).exists()
    )


@receiver(post_save, sender=get_user_model(), dispatch_uid="akrites_end_on_deactivation")
def _end_sessions_on_deactivation(sender: Any, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, "_akrites_deactivated", False):
        instance._akrites_deactivated = False
        end_all_sessions(instance, reason="deactivated")
