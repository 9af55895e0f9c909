"""Template helpers for intake figures and API tokens (read-only lookups)."""

from __future__ import annotations

from typing import Any

from django import template

from cases import duplicates, tokens
from cases.intake import TokenForm

register = template.Library()


@register.simple_tag
def intake_figures(user: Any) -> dict[str, int]:
    return duplicates.intake_figures(user)


@register.simple_tag
def api_tokens_of(user: Any) -> Any:
    return tokens.tokens_of(user)


@register.simple_tag
def token_form() -> TokenForm:
    return TokenForm()
