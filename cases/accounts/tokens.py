"""Signed single-use links, shared by the invitations (``accounts.invitations``), the
onboarding invitations (``cases.onboarding``) and the public report confirmations
(``cases.public_intake``).

A link holds a random secret signed with a timestamp (``TimestampSigner``, one salt per
kind of link); the database keeps only the secret's SHA-256, so a copy of it gives no
one a working link. A row is used by locking it and checking again that it is still
pending, so that two uses of one link cannot both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Protocol, TypeVar, cast

from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models

_M = TypeVar("_M", bound=models.Model)


class _Pending(Protocol):
    @property
    def is_pending(self) -> bool: ...


def token_hash(secret: str) -> str:
    """What the database keeps of a link's secret."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_token(salt: str) -> tuple[str, str]:
    """A new link token and the hash to store for it: ``(token, token_hash)``."""
    secret = secrets.token_urlsafe(32)
    return signing.TimestampSigner(salt=salt).sign(secret), token_hash(secret)


def find_pending(
    queryset: models.QuerySet[_M], token: str, *, salt: str, max_age: int
) -> _M | None:
    """The pending row of ``queryset`` behind a link, or None (bad signature, expired,
    used or revoked)."""
    try:
        secret = signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None
    row = queryset.filter(token_hash=token_hash(secret)).first()
    if row is None or not cast(_Pending, row).is_pending:
        return None
    return row


def lock_pending(queryset: models.QuerySet[_M], found: _M, message: str) -> _M:
    """``found`` again, locked (call inside a transaction); ``ValidationError(message)``
    when it stopped being pending meanwhile."""
    row = queryset.select_for_update().get(pk=found.pk)
    if not cast(_Pending, row).is_pending:
        raise ValidationError(message)
    return row


def create_account(
    *,
    username: str,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
) -> Any:
    """The invitee's new account. A password given is checked against the password
    validators (as the forms do); None gives an account without a usable password."""
    user_model = get_user_model()
    if password:
        password_validation.validate_password(
            password,
            user_model(username=username, email=email, first_name=first_name, last_name=last_name),
        )
    return user_model.objects.create_user(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
    )
