"""Managing webhook subscriptions: the one service the web views and the API call.

Who: an organisation's admins (``Membership.Role.ADMIN``) manage its webhooks, and SIRT
coordinators those of every organisation. Other members of the organisation see its
webhooks (list, settings, delivery log; never the secret) and get 403 on any change;
everybody else never learns they exist (404). Every change writes an audit record with
the actor (``cases.audit``): ``webhook.created``, ``webhook.updated``,
``webhook.enabled``, ``webhook.disabled``, ``webhook.secret_rotated``,
``webhook.deleted``. Records name the target's host, never the whole URL (receivers
often carry a token in the path or query).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases import access, audit
from cases.models import Organisation, StaleEdit
from cases.types import AnyUser, User
from disclosure.notifications.kinds import WEBHOOK_KINDS
from disclosure.notifications.models import Notification, WebhookSubscription, new_webhook_secret
from disclosure.notifications.webhooks import check_target, queue_test_event

WEBHOOK_KIND_CODES = frozenset(k.code for k in WEBHOOK_KINDS)


# --------------------------------------------------------------------------- who


def require_manage(user: AnyUser, organisation: Organisation) -> None:
    """Create, change, test or delete ``organisation``'s webhooks: its admins and the
    SIRT, the same predicate as for its members (``access.can_manage_members``; the
    pages ask it too, and ``access.managed_organisations`` for the form's choices)."""
    if not access.can_manage_members(user, organisation):
        raise PermissionDenied("Only the organisation's admins can change its webhooks.")


def visible_organisations(user: AnyUser) -> QuerySet[Organisation]:
    """Organisations whose webhooks ``user`` may see: their own (every one for the SIRT)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Organisation.objects.none()
    if access.is_sirt(user):
        return Organisation.objects.all()
    return access.member_organisations(user)


def visible_subscriptions(user: AnyUser) -> QuerySet[WebhookSubscription]:
    """Subscriptions ``user`` may see: their organisations' (every one for the SIRT)."""
    return WebhookSubscription.objects.filter(organisation__in=visible_organisations(user))


# --------------------------------------------------------------------------- changes


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _clean_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - WEBHOOK_KIND_CODES)
    if unknown:
        raise ValidationError({"event_types": f"Unknown event types: {', '.join(unknown)}."})
    return sorted(set(event_types))


def _check_url(url: str) -> None:
    try:
        check_target(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.message_dict.get("url", exc.messages)}) from None


def create_subscription(
    actor: User,
    *,
    organisation: Organisation,
    url: str,
    description: str = "",
    event_types: list[str] | None = None,
) -> WebhookSubscription:
    require_manage(actor, organisation)
    _check_url(url)
    kinds = _clean_event_types(event_types or [])
    with transaction.atomic():
        sub = WebhookSubscription.objects.create(
            organisation=organisation,
            url=url,
            description=description,
            event_types=kinds,
            created_by=actor,
        )
        audit.record(
            "webhook.created",
            actor=actor,
            obj=sub,
            organisation=organisation.slug,
            host=_host(url),
            event_types=kinds,
        )
    return sub


def update_subscription(
    sub: WebhookSubscription,
    actor: User,
    *,
    expected_version: int | None,
    url: str,
    description: str,
    event_types: list[str],
) -> WebhookSubscription:
    """Edit a subscription; an edit made from an older version is refused (``StaleEdit``)."""
    require_manage(actor, sub.organisation)
    _check_url(url)
    kinds = _clean_event_types(event_types)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleEdit(StaleEdit.message)
        changed = [
            name
            for name, value in (("url", url), ("description", description), ("event_types", kinds))
            if getattr(locked, name) != value
        ]
        data: dict[str, Any] = {"fields": changed, "host": _host(url)}
        if _host(locked.url) != data["host"]:
            data["old_host"] = _host(locked.url)
        locked.url, locked.description, locked.event_types = url, description, kinds
        locked.version += 1
        locked.save(update_fields=["url", "description", "event_types", "version"])
        audit.record(
            "webhook.updated",
            actor=actor,
            obj=locked,
            organisation=locked.organisation.slug,
            **data,
        )
    return locked


def set_active(sub: WebhookSubscription, actor: User, *, active: bool) -> WebhookSubscription:
    """Enable (failure count reset) or disable a subscription by hand."""
    require_manage(actor, sub.organisation)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        if active:
            locked.is_active, locked.consecutive_failures = True, 0
            locked.disabled_at, locked.disabled_reason = None, ""
        elif locked.is_active:
            locked.is_active, locked.disabled_at = False, timezone.now()
            locked.disabled_reason = f"Disabled by {actor.get_username()}."
        locked.save(
            update_fields=["is_active", "consecutive_failures", "disabled_at", "disabled_reason"]
        )
        audit.record(
            "webhook.enabled" if active else "webhook.disabled",
            actor=actor,
            obj=locked,
            organisation=locked.organisation.slug,
        )
    return locked


def rotate_secret(sub: WebhookSubscription, actor: User) -> WebhookSubscription:
    require_manage(actor, sub.organisation)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        locked.secret = new_webhook_secret()
        locked.save(update_fields=["secret"])
        audit.record(
            "webhook.secret_rotated", actor=actor, obj=locked, organisation=locked.organisation.slug
        )
    return locked


def delete_subscription(sub: WebhookSubscription, actor: User) -> None:
    require_manage(actor, sub.organisation)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        audit.record(
            "webhook.deleted",
            actor=actor,
            obj=locked,
            organisation=locked.organisation.slug,
            host=_host(locked.url),
        )
        locked.delete()


def send_test_event(sub: WebhookSubscription, actor: User) -> Notification:
    """The "send test event" button: it makes the portal call the URL, so admins only."""
    require_manage(actor, sub.organisation)
    if not sub.is_active:
        raise ValidationError("Enable the webhook first.")
    return queue_test_event(sub)
