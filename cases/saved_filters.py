"""Saved filters of the case list: a person names the filters they use often, lists,
applies and deletes them. Private to their owner: everyone else gets 404 (the views
fetch through ``filters_of(user)``). A saved filter holds the case list's query string,
never a case: applying it runs the list through ``cases.access`` as any visit does."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from cases.models import SavedFilter
from cases.types import User

# The case list's filters, in the order the query string keeps them.
FIELDS = ("q", "state", "severity", "project", "sort")
MAX_PER_USER = 50


def filters_of(user: User) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(owner=user)


def query_of(params: Mapping[str, str]) -> str:
    """The filter part of a case-list query string (no page, nothing unknown)."""
    return urlencode(
        [(k, str(params[k]).strip()) for k in FIELDS if str(params.get(k) or "").strip()]
    )


def list_url(saved: SavedFilter) -> str:
    base = reverse("cases:case_list")
    return f"{base}?{saved.query}" if saved.query else base


def save_filter(owner: User, name: str, params: Mapping[str, str]) -> tuple[SavedFilter, bool]:
    """Save the filters under ``name``; a name the owner used already is replaced.
    Returns (saved filter, created)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the filter a name."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    query = query_of(params)
    if not query:
        raise ValidationError({"name": "Choose at least one filter before saving it."})
    with transaction.atomic():
        existing = filters_of(owner).select_for_update().filter(name=name).first()
        if existing is not None:
            existing.query = query
            existing.updated_at = timezone.now()
            existing.save(update_fields=["query", "updated_at"])
            return existing, False
        if filters_of(owner).count() >= MAX_PER_USER:
            raise ValidationError(
                {"name": f"You have {MAX_PER_USER} saved filters; delete one first."}
            )
        return SavedFilter.objects.create(owner=owner, name=name, query=query), True


def delete_filter(owner: User, saved: SavedFilter) -> None:
    """Delete one of the owner's saved filters (anyone else's is refused)."""
    if saved.owner_id != owner.pk:
        raise PermissionDenied("Only its owner can delete a saved filter.")
    saved.delete()
