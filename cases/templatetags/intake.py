"""Template helpers for intake figures and API tokens (read-only lookups)."""

from __future__ import annotations

from django import template
from django.db.models import QuerySet

from cases import duplicates, tokens
from cases.intake import TokenForm
from cases.models import ApiToken
from cases.types import AnyUser, User

register = template.Library()


@register.simple_tag
def intake_figures(user: AnyUser) -> dict[str, int]:
    return duplicates.intake_figures(user)


@register.simple_tag
def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The tokens of the signed-in user (the profile page, behind ``login_required``)."""
    return tokens.tokens_of(user)


@register.simple_tag
def token_form() -> TokenForm:
    return TokenForm()
