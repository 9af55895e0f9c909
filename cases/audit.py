"""Append-only, keyed hash chain of security-relevant actions, anchored outside the database.

``record(action, actor=, request=, obj=, **data)`` writes one ``AuditEvent``. Each row
carries ``hash = HMAC-SHA256(key, prev_hash + canonical JSON of the row)`` and the id
of its key (``AUDIT_CHAIN_KEY``, from the environment, never in the database), so
changing or removing a row breaks the chain from there on, and someone who can write
the table but lacks the key cannot rewrite the rows after it to match. On PostgreSQL a
trigger also refuses UPDATE and DELETE, and writers take a transaction-level advisory
lock so two rows never chain to the same predecessor. (SQLite runs IMMEDIATE
transactions: writers are serialised already.)

A chain alone cannot show that its newest rows were deleted: what is left is still a
valid chain. So ``write_checkpoint()`` (the ``audit_checkpoint`` command and schedule)
signs the head (row id, hash, row count, time) and sends it out of the database: to
the log, to an append-only file and by mail. ``verify_chain(anchors)`` checks the
rows, the keys they were signed with, and that every anchored head is still there.

Rows from before the chain was keyed have no key id and keep their plain SHA-256:
they were not recomputed, which would have laundered any earlier tampering. The first
keyed row signs the last of them, so from then on they cannot be rewritten either.

Action codes are namespaced (``auth.login``, ``organisation.member.removed``,
``webhook.created``) and registered with how they read in each app's
``action_codes.py`` (``cases.actions.audit``); ``record`` refuses any other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from cases import actions
from cases.types import AnyUser, User

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key: any constant bigint that no other feature uses.
ADVISORY_LOCK_KEY = 0x414B_5241_5544  # "AKRAUD"

# Signs when AUDIT_CHAIN_KEY is unset (development, tests). Public, so it protects
# nothing: `check --deploy` warns (cases.W001), and verification refuses it after a
# real key has signed (a forger cannot fall back to it).
INSECURE_KEY_ID = "insecure-dev"
INSECURE_KEY = b"insecure-development-audit-chain-key: set AUDIT_CHAIN_KEY in production"
# Rows written before the chain was keyed carry no key id (plain SHA-256).
UNKEYED = ""
# After a new key first signs, rows signed with the key it replaced are still accepted
# this long: during a rolling restart old and new processes write side by side.
ROTATION_GRACE = timedelta(hours=1)

logger = logging.getLogger(__name__)


def keyring() -> tuple[str, dict[str, bytes]]:
    """The id of the key that signs new rows, and every key that verifies rows."""
    keys = {INSECURE_KEY_ID: INSECURE_KEY}
    keys.update((key_id, key.encode()) for key_id, key in settings.AUDIT_CHAIN_OLD_KEYS.items())
    if not settings.AUDIT_CHAIN_KEY:
        return INSECURE_KEY_ID, keys
    keys[settings.AUDIT_CHAIN_KEY_ID] = settings.AUDIT_CHAIN_KEY.encode()
    return settings.AUDIT_CHAIN_KEY_ID, keys


class UnknownKeyError(LookupError):
    """A row or anchor names a key id that is not configured."""


def _sign(keys: Mapping[str, bytes], key_id: str, message: bytes) -> str:
    try:
        key = keys[key_id]
    except KeyError:
        raise UnknownKeyError(key_id) from None
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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
    # Which key signed the row (AUDIT_CHAIN_KEY_ID); empty for rows from before the
    # chain was keyed. The database default lets a release that predates the column
    # keep writing (as unkeyed rows) during a rolling upgrade.
    key_id = models.CharField(max_length=32, blank=True, default=UNKEYED, db_default=UNKEYED)

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
        body = {
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
        if self.key_id:
            # Covered too: a row cannot be passed off as signed by another key.
            body["key_id"] = self.key_id
        return body

    def compute_hash(self, keys: Mapping[str, bytes] | None = None) -> str:
        """HMAC-SHA256 under the row's key; plain SHA-256 for an unkeyed (older) row.

        Raises ``UnknownKeyError`` when the row's key is not configured."""
        body = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        message = (self.prev_hash + body).encode("utf-8")
        if self.key_id == UNKEYED:
            return hashlib.sha256(message).hexdigest()
        return _sign(keyring()[1] if keys is None else keys, self.key_id, message)


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
    actor: AnyUser | None = None,
    request: HttpRequest | None = None,
    obj: Any = None,
    **data: Any,
) -> AuditEvent:
    """Append one audit row; call it inside the transaction of the change it records.

    ``action`` must be registered (``cases.actions.audit``)."""
    actions.audit.check(action)
    if request is None:
        request = _current_request.get()
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    signed_in = actor if isinstance(actor, User) else None  # the anonymous visitor is no one
    object_type, object_id, object_label = _describe(obj)
    # Normalise to plain JSON now, so the hash covers what the database gives back.
    clean = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    key_id, keys = keyring()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            created_at=timezone.now(),
            actor=signed_in,
            actor_label=signed_in.get_username() if signed_in is not None else "",
            ip=client_ip(request),
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            data=clean,
            prev_hash=prev or GENESIS_HASH,
            key_id=key_id,
        )
        event.hash = event.compute_hash(keys)
        event.save(force_insert=True)
    return event


@dataclass
class ChainBreak:
    event_id: int
    reason: str


# --------------------------------------------------------------------------- anchors


@dataclass(frozen=True)
class Anchor:
    """A signed statement of the chain's head at one moment, kept outside the database."""

    head_id: int  # 0 while the trail is empty
    head_hash: str
    count: int
    at: str  # ISO 8601, UTC
    key_id: str
    mac: str = ""

    def _message(self) -> bytes:
        fields = asdict(self)
        del fields["mac"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, keys: Mapping[str, bytes]) -> Anchor:
        return Anchor(**{**asdict(self), "mac": _sign(keys, self.key_id, self._message())})

    def is_authentic(self, keys: Mapping[str, bytes]) -> bool:
        try:
            expected = _sign(keys, self.key_id, self._message())
        except UnknownKeyError:
            return False
        return hmac.compare_digest(expected, self.mac)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Parse one anchor line; ``ValueError`` when it is not one."""
        try:
            fields = json.loads(text)
            anchor = cls(**fields)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not an audit anchor: {exc}") from None
        if not (isinstance(anchor.head_id, int) and isinstance(anchor.count, int)):
            raise ValueError("not an audit anchor: head_id and count must be integers")
        return anchor

    def describe(self) -> str:
        return f"the anchor of {self.at} (row {self.head_id}, {self.count} rows)"


def take_anchor() -> Anchor:
    """Sign the current head: the newest row, its hash and how many rows there are."""
    key_id, keys = keyring()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Under the writers' lock: no row can commit between the head and the count.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        count = AuditEvent.objects.count()
    head_id, head_hash = head or (0, GENESIS_HASH)
    at = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
    return Anchor(head_id, head_hash, count, at, key_id).signed(keys)


def write_checkpoint() -> Anchor:
    """Take an anchor and send it out of the database: the log always, then the file
    (``AUDIT_ANCHOR_FILE``, one JSON line appended) and mail (``AUDIT_ANCHOR_EMAIL``)
    when configured. A failing file or mail raises, so the task shows as failed."""
    anchor = take_anchor()
    line = anchor.to_json()
    logger.info("audit anchor %s", line)
    if settings.AUDIT_ANCHOR_FILE:
        with Path(settings.AUDIT_ANCHOR_FILE).open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
    if settings.AUDIT_ANCHOR_EMAIL:
        # Straight to the mail server, not through the notification outbox: the outbox
        # is a table in the database this anchor is meant to be checked against.
        send_mail(
            f"Audit anchor: row {anchor.head_id}, {anchor.count} rows",
            "Keep this line; `manage.py verify_audit_chain --anchor '<line>'` checks the "
            f"audit trail against it.\n\n{line}\n",
            None,
            settings.AUDIT_ANCHOR_EMAIL,
        )
    return anchor


def read_anchors(path: str | Path) -> list[Anchor]:
    """Every anchor in a JSON-lines file (``ValueError`` names a line that is not one)."""
    anchors = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                anchors.append(Anchor.from_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}, line {number}: {exc}") from None
    return anchors


# --------------------------------------------------------------------------- verification


def verify_chain(anchors: Iterable[Anchor] = ()) -> tuple[int, ChainBreak | None]:
    """Walk the chain oldest first; return (rows checked, first break or None).

    A row breaks the chain when it does not link to the row before it, when its
    content does not match its hash, when its key is unknown, or when it is signed
    with a key that was already replaced (after ``ROTATION_GRACE``) or that is weaker
    than one already used (unkeyed or the development key after a real key). Each
    anchor must be authentic and its head row still there, with the same hash and
    the same number of rows up to it: deleting the newest rows breaks here."""
    _, keys = keyring()
    by_head: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        if not anchor.is_authentic(keys):
            reason = f"{anchor.describe()} is not signed by a configured key"
            return 0, ChainBreak(anchor.head_id, reason)
        if anchor.head_id:
            by_head.setdefault(anchor.head_id, []).append(anchor)

    expected_prev = GENESIS_HASH
    checked = 0
    first_signed: dict[str, datetime] = {}  # key id -> time of its first row
    key_order: list[str] = []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.pk, "does not link to the row before it")
        problem = _key_problem(event, first_signed, key_order)
        if problem:
            return checked, ChainBreak(event.pk, problem)
        try:
            matches = hmac.compare_digest(event.compute_hash(keys), event.hash)
        except UnknownKeyError:
            reason = f"it is signed with key {event.key_id!r}, which is not configured"
            return checked, ChainBreak(event.pk, reason + " (AUDIT_CHAIN_OLD_KEYS)")
        if not matches:
            return checked, ChainBreak(event.pk, "its content does not match its hash")
        expected_prev = event.hash
        checked += 1
        for anchor in by_head.pop(event.pk, []):
            if anchor.head_hash != event.hash or anchor.count != checked:
                reason = f"it differs from {anchor.describe()}: rows up to it were replaced"
                return checked - 1, ChainBreak(event.pk, reason)
    if by_head:
        anchor = by_head[min(by_head)][0]
        reason = f"missing: {anchor.describe()} names it; rows were deleted"
        return checked, ChainBreak(anchor.head_id, reason)
    return checked, None


def _key_problem(event: AuditEvent, first_signed: dict[str, datetime], key_order: list[str]) -> str:
    key_id = event.key_id
    if key_id not in first_signed:
        weak = key_id in (UNKEYED, INSECURE_KEY_ID)
        if weak and any(k not in (UNKEYED, INSECURE_KEY_ID) for k in key_order):
            what = "unkeyed" if key_id == UNKEYED else "signed with the development key"
            return f"it is {what}, after the chain was signed with a real key"
        if key_id == UNKEYED and key_order:
            return "it is unkeyed, after the chain was keyed"
        first_signed[key_id] = event.created_at
        key_order.append(key_id)
        return ""
    if key_id != key_order[-1]:
        successor = key_order[key_order.index(key_id) + 1]
        if event.created_at > first_signed[successor] + ROTATION_GRACE:
            label = repr(key_id) if key_id else "no key"
            return f"it is signed with {label}, which key {successor!r} had replaced"
    return ""
