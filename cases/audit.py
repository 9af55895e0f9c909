"""Append-only, hash-chained audit trail of security-relevant actions.

``record(action, actor=, request=, obj=, **data)`` writes one ``AuditEvent``. Each row
carries ``hash = sha256(prev_hash + canonical JSON of the row)``, so changing or
removing a row breaks the chain from there on; ``manage.py verify_audit_chain`` finds
the first broken row. On PostgreSQL a trigger also refuses UPDATE and DELETE, and
writers take a transaction-level advisory lock so two rows never chain to the same
predecessor. (SQLite runs IMMEDIATE transactions: writers are serialised already.)

Action codes are namespaced: ``auth.login``, ``auth.login_failed``, ``auth.logout``,
``auth.2fa.enrolled``, ``auth.2fa.verified``, ``auth.2fa.failed``, ``auth.2fa.reset``,
``auth.sessions.ended``, ``auth.password.changed``, ``account.invitation.sent``,
``account.invitation.accepted``, ``case.participant.added``,
``case.participant.removed``, ``api.token.created``, ``api.token.revoked``,
``attachment.downloaded``, ``audit.exported``, ``embargo.changed``,
``advisory.published``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key: any constant bigint that no other feature uses.
ADVISORY_LOCK_KEY = 0x414B_5241_5544  # "AKRAUD"


class AuditEvent(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The username at the time, kept even if the account is renamed later.
    actor_label = models.CharField(max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]
        triggers = [
            pgtrigger.Protect(
                name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_label or '-'}"

    def canonical(self) -> dict[str, Any]:
        """The fields the hash covers, in a form that survives a database round trip."""
        return {
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "ip": self.ip,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "data": self.data,
        }

    def compute_hash(self) -> str:
        body = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256((self.prev_hash + body).encode("utf-8")).hexdigest()


_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditRequestMiddleware:
    """Makes the current request known to ``record()`` calls deep in services, so their
    rows carry the client address and the signed-in actor without passing it along."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address as django-axes reads it (honours the proxy settings)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def _describe(obj: Any) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    label = getattr(obj, "reference", None)
    if label is None and hasattr(obj, "get_username"):
        label = obj.get_username()
    if label is None:
        label = str(obj)
    return f"{obj._meta.app_label}.{obj._meta.model_name}", str(obj.pk), str(label)[:200]


def record(
    action: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    obj: Any = None,
    **data: Any,
) -> AuditEvent:
    """Append one audit row; call it inside the transaction of the change it records."""
    if request is None:
        request = _current_request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    object_type, object_id, object_label = _describe(obj)
    # Normalise to plain JSON now, so the hash covers what the database gives back.
    clean = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            created_at=timezone.now(),
            actor=actor,
            actor_label=actor.get_username() if actor is not None else "",
            ip=client_ip(request),
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            data=clean,
            prev_hash=prev or GENESIS_HASH,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


@dataclass
class ChainBreak:
    event_id: int
    reason: str


def verify_chain() -> tuple[int, ChainBreak | None]:
    """Walk the chain oldest first; return (rows checked, first break or None)."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.pk, "does not link to the row before it")
        if event.compute_hash() != event.hash:
            return checked, ChainBreak(event.pk, "its content does not match its hash")
        expected_prev = event.hash
        checked += 1
    return checked, None
