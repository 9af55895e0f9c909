"""Second factor: required for SIRT coordinators and staff, offered to everyone else."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from cases.accounts.mfa import PENDING_KEY_SESSION
from cases.audit import AuditEvent
from tests.factories import make_user
from tests.otp import confirmed_totp_device
from tests.security.helpers import audit_actions, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_auto_otp")]


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_coordinator_without_second_factor_is_sent_to_enrolment_before_a_case_page(
    coordinator: Any, case: Any
) -> None:
    response = signed_in(coordinator).get(case.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:2fa") + "?next=")


def test_coordinator_with_authenticator_must_verify_before_a_case_page(
    coordinator: Any, case: Any
) -> None:
    confirmed_totp_device(coordinator)
    response = signed_in(coordinator).get(case.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:2fa_verify") + "?next=")


def test_coordinator_cannot_use_the_api_with_an_unverified_session(coordinator: Any) -> None:
    response = signed_in(coordinator).get("/api/v1/cases/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"


def test_staff_user_is_sent_to_the_second_factor_before_the_admin(db: Any) -> None:
    staff = make_user("staffer", is_staff=True, is_superuser=True)
    response = signed_in(staff).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:2fa"))


def test_maintainer_without_second_factor_reaches_the_case_page(maintainer: Any, case: Any) -> None:
    assert signed_in(maintainer).get(case.get_absolute_url()).status_code == 200


def test_maintainer_who_enrolled_must_verify_too(maintainer: Any, case: Any) -> None:
    confirmed_totp_device(maintainer)
    response = signed_in(maintainer).get(case.get_absolute_url())
    assert response["Location"].startswith(reverse("accounts:2fa_verify"))


def test_enrolment_shows_a_qr_code_and_secret_then_recovery_codes_once(
    coordinator: Any, case: Any
) -> None:
    traveller = time_machine.travel(time.time(), tick=False)
    clock = traveller.start()
    client = signed_in(coordinator)
    page = client.get(reverse("accounts:2fa"))
    assert page.status_code == 200
    body = page.content.decode()
    assert '<svg class="qr"' in body
    assert not TOTPDevice.objects.filter(user=coordinator).exists()  # GET writes nothing
    device = TOTPDevice(key=client.session[PENDING_KEY_SESSION])
    assert page.context["secret"] in body

    wrong = client.post(reverse("accounts:2fa"), {"token": "000000"})
    assert "That code is not right" in wrong.content.decode()

    clock.shift(10)  # django-otp slows down guessing: wait after a wrong code
    done = client.post(reverse("accounts:2fa"), {"token": totp_code(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert codes[0] in done.content.decode()
    saved = TOTPDevice.objects.get(user=coordinator)
    assert saved.confirmed
    assert saved.key == device.key
    assert StaticToken.objects.filter(device__user=coordinator).count() == 10
    # The session now counts as verified: the case page opens.
    assert client.get(case.get_absolute_url()).status_code == 200
    assert "auth.2fa.enrolled" in audit_actions(actor=coordinator)
    # The codes are never shown again.
    status = client.get(reverse("accounts:2fa"))
    assert codes[0] not in status.content.decode()
    traveller.stop()


def test_sign_in_with_password_then_totp_code_reaches_the_case_page(
    coordinator: Any, case: Any
) -> None:
    device = confirmed_totp_device(coordinator)
    client = Client()
    response = client.post(
        reverse("login"),
        {"username": "coord", "password": "correct-horse-battery-staple"},
    )
    assert response.status_code == 302
    gate = client.get(case.get_absolute_url())
    assert gate["Location"].startswith(reverse("accounts:2fa_verify"))

    with time_machine.travel(time.time(), tick=False) as clock:
        bad = client.post(reverse("accounts:2fa_verify"), {"token": "000000", "next": "/"})
        assert bad.status_code == 400
        clock.shift(10)
        ok = client.post(
            reverse("accounts:2fa_verify"),
            {"token": totp_code(device), "next": case.get_absolute_url()},
        )
    assert ok.status_code == 302
    assert ok["Location"] == case.get_absolute_url()
    assert client.get(case.get_absolute_url()).status_code == 200
    actions = audit_actions(actor=coordinator)
    assert actions[-3:] == ["auth.login", "auth.2fa.failed", "auth.2fa.verified"]


def test_a_recovery_code_verifies_once(coordinator: Any, case: Any) -> None:
    confirmed_totp_device(coordinator)
    static = StaticDevice.objects.create(user=coordinator, name="Recovery codes")
    static.token_set.create(token="abcde-fghjk")
    first = signed_in(coordinator)
    response = first.post(reverse("accounts:2fa_verify"), {"token": "abcde-fghjk"})
    assert response.status_code == 302
    assert first.get(case.get_absolute_url()).status_code == 200
    second = signed_in(coordinator)
    again = second.post(reverse("accounts:2fa_verify"), {"token": "abcde-fghjk"})
    assert again.status_code == 400
    assert second.get(case.get_absolute_url()).status_code == 302


def test_verify_does_not_redirect_to_another_site(coordinator: Any) -> None:
    device = confirmed_totp_device(coordinator)
    client = signed_in(coordinator)
    response = client.post(
        reverse("accounts:2fa_verify"),
        {"token": totp_code(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("cases:home")


def test_resetting_the_second_factor_ends_all_sessions_and_api_tokens(
    coordinator: Any,
) -> None:
    device = confirmed_totp_device(coordinator)
    with time_machine.travel(time.time(), tick=False):
        here = signed_in(coordinator)
        here.post(reverse("accounts:2fa_verify"), {"token": totp_code(device)})
    other = signed_in(coordinator)
    AuthToken.objects.create(user=coordinator)

    wrong = here.post(reverse("accounts:2fa_reset"), {"password": "nope"})
    assert wrong.status_code == 302
    assert TOTPDevice.objects.filter(user=coordinator).exists()

    response = here.post(
        reverse("accounts:2fa_reset"), {"password": "correct-horse-battery-staple"}
    )
    assert response["Location"] == reverse("login")
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not AuthToken.objects.filter(user=coordinator).exists()
    for client in (here, other):
        assert client.get(reverse("cases:home"))["Location"].startswith(reverse("login"))
    reset = AuditEvent.objects.get(action="auth.2fa.reset")
    assert reset.actor == coordinator
    ended = AuditEvent.objects.get(action="auth.sessions.ended")
    assert ended.data == {"reason": "2fa_reset"}


def test_profile_offers_two_factor_to_a_maintainer(maintainer: Any) -> None:
    page = signed_in(maintainer).get(reverse("accounts:2fa"))
    assert page.status_code == 200
    assert "Set up two-factor sign-in" in page.content.decode()


def test_the_profile_page_shows_the_second_factor_status(maintainer: Any, coordinator: Any) -> None:
    from tests.otp import otp_login

    off = signed_in(maintainer).get(reverse("cases:profile")).content.decode()
    assert "Two-factor sign-in is <strong>off</strong>" in off
    on = otp_login(Client(), coordinator).get(reverse("cases:profile")).content.decode()
    assert "Two-factor sign-in is <strong>on</strong>" in on
