"""Partner webhooks, signed as Standard Webhooks do.

Headers: ``webhook-id`` (stable across retries, so receivers can drop duplicates),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``:
``v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">`` keyed with the base64
part of the subscription's ``whsec_...`` secret.

Payloads are thin: the event type, ids and the case reference. Details are fetched
through the API, where access is checked.

Targets (SSRF): http(s) only, and only addresses that are global unicast, including
every IPv4 address an IPv6 one carries (IPv4-mapped, NAT64, 6to4, Teredo; the
deprecated IPv4-compatible ``::/96`` and the local-use NAT64 ``64:ff9b:1::/48`` are
refused whole). A delivery resolves the name once, checks every answer, and connects
to the first one: no second lookup, so a name that rebinds to a private address
between check and connect cannot redirect it. The Host header, TLS SNI and the
certificate check still use the name from the URL. ``WEBHOOK_ALLOW_PRIVATE_TARGETS``
(development and tests, for a receiver on 127.0.0.1) skips the address check only.

Managing subscriptions (who may, audit records) is ``subscriptions.py``.
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
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import certifi
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases import audit
from cases.models import Membership
from disclosure.models import Advisory
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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges Python's ``ipaddress`` calls global although they are no place to send
# anything: the deprecated IPv4-compatible form (``::127.0.0.1``) and the local-use
# NAT64 prefix, where the IPv4 part may sit at several offsets (RFC 8215).
_REFUSED_V6 = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# The well-known NAT64 prefix: the last 32 bits are the IPv4 address reached (RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
PRIVATE_MESSAGE = "This URL points to a private or local address, which is not allowed."


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client); ipaddress un-inverts the client bits
    return found


def is_public_address(ip: IPAddress) -> bool:
    """Global unicast, and so is every IPv4 address inside it."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _REFUSED_V6):
            return False
        return all(is_public_address(v4) for v4 in embedded_ipv4(ip))
    return True


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the name from the URL, and the one address checked for it."""

    scheme: str
    host: str  # for the Host header, SNI and the certificate
    port: int
    path: str  # path and query
    address: str  # the only address connected to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _parse(url: str) -> tuple[SplitResult, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Use an http:// or https:// URL."})
    if parts.username or parts.password:
        raise ValidationError({"url": "Put no credentials in the URL; verify the signature."})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError({"url": "This port is not valid."}) from None
    return parts, port


def _resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses of ``host``, in the resolver's order; one lookup, no more."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ValidationError({"url": "This host name does not resolve."}) from None
    found: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip not in found:
            found.append(ip)
    if not found:
        raise ValidationError({"url": "This host name does not resolve."})
    return found


def _refuse_private(addresses: list[IPAddress]) -> None:
    if conf.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        return
    if not all(is_public_address(ip) for ip in addresses):
        raise ValidationError({"url": PRIVATE_MESSAGE})


def check_target(url: str) -> None:
    """Refuse anything but http(s), and (unless allowed) private or local addresses.

    For forms and services; a delivery checks again with ``resolve_target``.
    """
    parts, port = _parse(url)
    if conf.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        return
    _refuse_private(_resolve(parts.hostname or "", port))


def resolve_target(url: str) -> Target:
    """Resolve the name once, check every answer, and pin the first one."""
    parts, port = _parse(url)
    host = parts.hostname or ""
    addresses = _resolve(host, port)
    _refuse_private(addresses)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def connection_pool(target: Target, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    """A pool that can only reach ``target.address``: the socket is opened to the IP,
    so nothing resolves the name again. For https, SNI and the certificate check use
    the name from the URL (``server_hostname``, ``assert_hostname``)."""
    common: dict[str, Any] = {"timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
            **common,
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, **common)


def payload(n: Notification) -> dict[str, Any]:
    """Event type, ids and the case reference; nothing a thin payload could leak."""
    data: dict[str, Any] = {
        k: v for k, v in n.data.items() if k.endswith("_id") or k == "transition"
    }
    if n.case is not None:  # no query when case_id is None
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
    advisory = Advisory.objects.filter(pk=advisory_id).first() if advisory_id else None
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


def post(subscription: WebhookSubscription, msg_id: str, body: bytes) -> int:
    """One signed POST to the checked address, no redirects; returns the HTTP status."""
    target = resolve_target(subscription.url)
    timestamp = str(int(time.time()))
    headers = {
        "host": target.host_header,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(subscription.secret, msg_id, timestamp, body),
    }
    timeout = conf.get("WEBHOOK_TIMEOUT_SECONDS")
    pool = connection_pool(target, urllib3.Timeout(connect=min(3, timeout), read=timeout))
    try:
        # The answer's body is never read: a receiver cannot make us hold a large one.
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        response.close()
        return response.status
    finally:
        pool.close()


def deliver(n: Notification) -> None:
    """One attempt; raises ``WebhookError`` on anything but a 2xx answer."""
    sub = n.subscription
    assert sub is not None, "a webhook row has its subscription"
    body = json.dumps(payload(n), separators=(",", ":"), sort_keys=True).encode()
    started = time.monotonic()
    status_code, error = None, ""
    try:
        status_code = post(sub, message_id(n), body)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except ValidationError as exc:
        error = "; ".join(exc.messages)[:300]
    except (urllib3.exceptions.HTTPError, OSError) as exc:
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
        audit.record(
            "webhook.disabled",
            actor=None,
            obj=sub,
            organisation=sub.organisation.slug,
            failures=sub.consecutive_failures,
        )
        _notify_disabled(sub, now)


def _notify_disabled(sub: WebhookSubscription, now: Any) -> None:
    """Tell the organisation's admins (all members when it has none), in the same transaction."""
    # services delivers through this module (deliver): importing it at the top is a cycle.
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
    # services delivers through this module (deliver): importing it at the top is a cycle.
    from disclosure.notifications.services import _kick_sender

    transaction.on_commit(_kick_sender)
    return n
