"""SSRF: only global addresses, IPv4 hidden in IPv6 included, and the delivery goes to the
address that was checked (the name is resolved once: DNS rebinding cannot redirect it)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import urllib3
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from disclosure.notifications import services as notif
from disclosure.notifications import webhooks
from disclosure.notifications.models import WebhookDelivery, WebhookSubscription
from tests.disclosure.notifications.conftest import Receiver

REFUSED = [
    "http://127.0.0.1:9100/",
    "http://2130706433/",  # 127.0.0.1 as one number; the resolver reads it
    "http://[::1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[::a00:1]/",  # IPv4-compatible 10.0.0.1
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[64:ff9b:1::a00:1]/",  # local-use NAT64
    "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
    "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo, client 10.0.0.1
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
]
ACCEPTED = ["http://8.8.8.8/", "https://[2606:4700:4700::1111]/", "http://[64:ff9b::808:808]/"]

NAME = "hooks.rebind.example"
PUBLIC = "8.8.8.8"


@pytest.fixture
def production(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize("url", REFUSED)
def test_every_address_that_is_not_global_is_refused(production: None, url: str) -> None:
    with pytest.raises(ValidationError, match="private or local"):
        webhooks.check_target(url)
    with pytest.raises(ValidationError, match="private or local"):
        webhooks.resolve_target(url)


@pytest.mark.parametrize("url", ACCEPTED)
def test_global_addresses_are_accepted(production: None, url: str) -> None:
    webhooks.check_target(url)
    assert webhooks.resolve_target(url).address in url


def test_a_name_with_any_private_address_among_its_answers_is_refused(
    production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolver(host: str, port: Any, *args: Any, **kwargs: Any) -> list:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))
            for ip in (PUBLIC, "10.0.0.7")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    with pytest.raises(ValidationError, match="private or local"):
        webhooks.resolve_target(f"https://{NAME}/hook")


@pytest.mark.django_db
def test_delivery_connects_to_the_checked_address_when_the_name_rebinds(
    production: None, monkeypatch: pytest.MonkeyPatch, receiver: Receiver, partner_org: Any
) -> None:
    """The resolver answers a public address first and a private one after that; the
    delivery must reach the first (here the local receiver stands in for it)."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    sub = WebhookSubscription.objects.create(
        organisation=partner_org, url=f"http://{NAME}:{port}/hook"
    )
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding_resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
        if host != NAME:
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        ip = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(port)))]

    real_connect = urllib3.util.connection.create_connection
    connected: list[str] = []

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        if address[0] == PUBLIC:  # the public host's stand-in: the local receiver
            address = ("127.0.0.1", address[1])
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect)

    webhooks.queue_test_event(sub)
    notif.send_all_pending()

    assert connected == [PUBLIC]
    assert lookups == [NAME]
    (request,) = receiver.requests
    assert request["headers"]["host"] == f"{NAME}:{port}"
    assert WebhookDelivery.objects.get(subscription=sub).ok


@pytest.mark.django_db
def test_a_delivery_to_a_name_resolving_to_a_private_address_connects_nowhere(
    production: None, monkeypatch: pytest.MonkeyPatch, partner_org: Any
) -> None:
    sub = WebhookSubscription.objects.create(organisation=partner_org, url=f"http://{NAME}/hook")
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
        if host != NAME:
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("::7f00:1", 80))]

    connected: list[Any] = []
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(
        urllib3.util.connection, "create_connection", lambda a, *r, **k: connected.append(a)
    )

    webhooks.queue_test_event(sub)
    notif.send_all_pending()

    assert connected == []
    assert "private or local" in WebhookDelivery.objects.get(subscription=sub).error


def test_https_checks_the_certificate_and_sends_sni_for_the_name_not_the_address() -> None:
    target = webhooks.Target("https", NAME, 8443, "/hook?x=1", PUBLIC)

    pool = webhooks.connection_pool(target, urllib3.Timeout(connect=1, read=1))

    assert pool.host == PUBLIC
    assert pool.port == 8443
    assert pool.conn_kw["server_hostname"] == NAME
    assert pool.assert_hostname == NAME
    assert pool.cert_reqs == "CERT_REQUIRED"
    assert target.host_header == f"{NAME}:8443"
    assert webhooks.Target("https", "2606:4700::1", 443, "/", "2606:4700::1").host_header == (
        "[2606:4700::1]"
    )


@pytest.mark.django_db
def test_check_deploy_warns_when_private_targets_are_allowed(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.DEBUG = False

    with pytest.raises(SystemCheckError, match="notifications.W002"):
        call_command("check", deploy=True, fail_level="WARNING", tags=["security"])
