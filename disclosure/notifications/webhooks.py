"""Partner webhooks, signed as Standard Webhooks do.

Headers: ``webhook-id`` (stable across retries, so receivers can drop duplicates),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``:
``v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">`` keyed with the base64
part of the subscription's ``whsec_...`` secret.

Payloads are thin: the event type, ids and the case reference. Details are fetched
through the API, where access is checked. Targets must be http(s); private,
loopback and link-local addresses are refused unless
``WEBHOOK_ALLOW_PRIVATE_TARGETS`` is set (DEBUG and tests, for a local receiver).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from disclosure.notifications import conf
from disclosure.notifications.models import (
    Channel,
    Notification,
    WebhookDelivery,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

USER_AGENT = "Akrites-Webhooks/1.0"


class WebhookError(Exception):
    """A delivery that did not get a 2xx answer."""


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def check_target(url: str, *, resolve: bool = True) -> None:
    """Refuse anything but http(s), and (in production) private or local addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Use an http:// or https:// URL."})
    if parts.username or parts.password:
        raise ValidationError({"url": "Put no credentials in the URL; verify the signature."})
    if conf.get("WEBHOOK_ALLOW_PRIVATE_TARGETS") or not resolve:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        raise ValidationError({"url": "This host name does not resolve."}) from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if not ip.is_global or ip.is_multicast:
            raise ValidationError(
                {"url": "This URL points to a private or local address, which is not allowed."}
            )


def payload(n: Notification) -> dict[str, Any]:
    """Event type, ids and the case reference; nothing a thin payload could leak."""
    data: dict[str, Any] = {
        k: v for k, v in n.data.items() if k.endswith("_id") or k == "transition"
    }
    if n.case_id:
        data["case_id"] = n.case_id
        data["case_reference"] = n.case.reference
        if n.kind == "advisory.published":
            data.update(_public_advisory(n.data.get("advisory_id")))
    return {
        "type": n.kind,
        "timestamp": n.created_at.isoformat(),
        "data": data,
    }


def _public_advisory(advisory_id: int | None) -> dict[str, Any]:
    """A published advisory is public: its identifier and page may be named."""
    try:
        from disclosure.models import Advisory
    except ImportError:  # pragma: no cover
        return {}
    advisory = Advisory.objects.filter(pk=advisory_id).first()
    if advisory is None or not advisory.is_public:
        return {}
    found: dict[str, Any] = {"advisory_identifier": advisory.identifier}
    with contextlib.suppress(NoReverseMatch):
        found["advisory_url"] = settings.SITE_URL + reverse(
            "advisories:detail", args=[advisory.identifier]
        )
    return found


def message_id(n: Notification) -> str:
    return f"msg_{n.uuid.hex}"


def post(subscription: WebhookSubscription, msg_id: str, body: bytes) -> requests.Response:
    check_target(subscription.url)
    timestamp = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(subscription.secret, msg_id, timestamp, body),
    }
    timeout = conf.get("WEBHOOK_TIMEOUT_SECONDS")
    return requests.post(
        subscription.url,
        data=body,
        headers=headers,
        timeout=(min(3, timeout), timeout),
        allow_redirects=False,
    )


def deliver(n: Notification) -> None:
    """One attempt; raises ``WebhookError`` on anything but a 2xx answer."""
    sub = n.subscription
    body = json.dumps(payload(n), separators=(",", ":"), sort_keys=True).encode()
    started = time.monotonic()
    status_code, error = None, ""
    try:
        response = post(sub, message_id(n), body)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except ValidationError as exc:
        error = "; ".join(exc.messages)[:300]
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}"[:300]
    WebhookDelivery.objects.create(
        subscription=sub,
        notification=n,
        kind=n.kind,
        attempt=n.attempts,
        status_code=status_code,
        ok=not error,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    if not error:
        WebhookSubscription.objects.filter(pk=sub.pk).update(consecutive_failures=0)
        return
    record_failure(sub.pk)
    raise WebhookError(error)


def record_failure(subscription_id: int) -> None:
    """Count a failure; after ``WEBHOOK_DISABLE_AFTER`` in a row, disable and tell the org."""
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        sub = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        if not sub.is_active or sub.consecutive_failures < conf.get("WEBHOOK_DISABLE_AFTER"):
            return
        now = timezone.now()
        sub.is_active = False
        sub.disabled_at = now
        sub.disabled_reason = (
            f"Disabled after {sub.consecutive_failures} failed deliveries in a row."
        )
        sub.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        _notify_disabled(sub, now)


def _notify_disabled(sub: WebhookSubscription, now: Any) -> None:
    """Tell the organisation's admins (all members when it has none), in the same transaction."""
    from cases.models import Membership
    from disclosure.notifications.services import Outgoing, write

    members = Membership.objects.filter(organisation=sub.organisation, user__is_active=True)
    admins = set(members.filter(role=Membership.Role.ADMIN).values_list("user_id", flat=True))
    users = admins or set(members.values_list("user_id", flat=True))
    write(
        [
            Outgoing(
                "webhook.disabled",
                "webhook.disabled",
                f"webhook:{sub.pk}",
                now,
                None,
                {"subscription_id": sub.pk},
                users=users,
            )
        ],
        now=now,
    )


def enable(sub: WebhookSubscription) -> None:
    WebhookSubscription.objects.filter(pk=sub.pk).update(
        is_active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )


def queue_test_event(sub: WebhookSubscription) -> Notification:
    """The "send test event" button: an outbox row like any other, sent by the sender."""
    now = timezone.now()
    n = Notification.objects.create(
        kind="webhook.test",
        key="webhook.test",
        subject=f"webhook:{sub.pk}",
        due_at=now,
        subscription=sub,
        channel=Channel.WEBHOOK,
        data={"subscription_id": sub.pk},
    )
    from disclosure.notifications.services import _kick_sender

    transaction.on_commit(_kick_sender)
    return n


def rotate_secret(sub: WebhookSubscription) -> None:
    from disclosure.notifications.models import new_webhook_secret

    WebhookSubscription.objects.filter(pk=sub.pk).update(secret=new_webhook_secret())


def update_subscription(
    sub: WebhookSubscription,
    *,
    expected_version: int | None,
    url: str,
    description: str,
    event_types: list[str],
) -> WebhookSubscription:
    """Edit a subscription; an edit made from an older version is refused."""
    from cases.models import StaleEdit

    check_target(url)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleEdit(StaleEdit.message)
        locked.url, locked.description, locked.event_types = url, description, event_types
        locked.version += 1
        locked.save(update_fields=["url", "description", "event_types", "version"])
    return locked
