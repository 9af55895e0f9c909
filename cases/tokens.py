"""Named, expiring, revocable API tokens (django-rest-knox keeps only a hash of the secret)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from knox.models import AuthToken

from cases import audit
from cases.models import ApiToken
from cases.types import User


def create_token(user: User, *, name: str, days: int) -> tuple[ApiToken, str]:
    """Create a token; returns (token, secret). The secret is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the program that uses it."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError({"days": f"Choose between 1 and {settings.API_TOKEN_MAX_DAYS} days."})
    recent = ApiToken.objects.filter(
        user=user, created_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    if recent >= settings.API_TOKEN_CREATE_PER_HOUR:
        # Throttle: a stolen session cannot mint tokens in bulk.
        raise ValidationError({"name": "Too many new tokens in the last hour. Try again later."})
    with transaction.atomic():
        knox_token, secret = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
        token = ApiToken.objects.create(token=knox_token, user=user, name=name)
        audit.record(
            "api.token.created",
            actor=user,
            obj=token,
            name=name,
            days=days,
            key=knox_token.token_key,
        )
    return token, secret


def revoke_token(user: User, token_id: int) -> bool:
    """Delete the user's token: the next request made with it is refused (401)."""
    with transaction.atomic():
        token = ApiToken.objects.select_related("token").filter(user=user, pk=token_id).first()
        if token is None:
            return False
        audit.record(
            "api.token.revoked",
            actor=user,
            obj=token,
            name=token.name,
            key=token.token.token_key,
        )
        token.token.delete()  # cascades to the ApiToken row
    return True


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).select_related("token").order_by("-created_at")
