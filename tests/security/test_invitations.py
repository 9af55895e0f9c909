"""Invitations instead of open sign-up: single-use, expiring links sent by email."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases.accounts.models import Invitation
from tests.access_drift import assert_no_access_drift
from tests.otp import otp_login
from tests.security.helpers import audit_actions

pytestmark = pytest.mark.django_db

NEW_ACCOUNT = {
    "username": "newmaint",
    "first_name": "Nia",
    "last_name": "Ewing",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
}


@pytest.fixture
def invite(django_capture_on_commit_callbacks: Any) -> Callable[..., str]:
    """``invite(client, organisation, email)``: send an invitation, return the link's path."""

    def _invite(client: Any, organisation: Any, email: str = "nia@libexample.org") -> str:
        # The email leaves when the invitation's transaction commits.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("accounts:invitation_new"),
                {"organisation": organisation.pk, "email": email},
            )
        assert response.status_code == 302, response.content.decode()
        body = mail.outbox[-1].body
        link = next(line for line in body.splitlines() if "/invitations/accept/" in line)
        return link.strip().removeprefix(settings.SITE_URL)

    return _invite


def test_a_coordinator_invites_a_maintainer_who_joins_through_the_link(
    invite: Callable[..., str], client_for: Any, coordinator: Any, maintainer_org: Any, case: Any
) -> None:
    path = invite(client_for(coordinator), maintainer_org)
    assert mail.outbox[-1].to == ["nia@libexample.org"]
    invitation = Invitation.objects.get()
    # Only a hash of the secret is stored: the link's token is not in the database.
    assert invitation.token_hash not in path
    assert path.split("/")[-2] not in invitation.token_hash

    visitor = Client()
    form = visitor.get(path)
    assert form.status_code == 200
    assert "Join libexample maintainers" in form.content.decode()
    response = visitor.post(path, NEW_ACCOUNT)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newmaint")
    assert user.email == "nia@libexample.org"
    assert maintainer_org.members.filter(pk=user.pk).exists()
    # Signed in, and as a member of the maintainers they see their case.
    assert visitor.get(case.get_absolute_url()).status_code == 200
    assert audit_actions(action__startswith="account.invitation.") == [
        "account.invitation.sent",
        "account.invitation.accepted",
    ]
    assert_no_access_drift()


def test_an_invitation_link_works_only_once(
    invite: Callable[..., str], client_for: Any, coordinator: Any, maintainer_org: Any
) -> None:
    path = invite(client_for(coordinator), maintainer_org)
    assert Client().post(path, NEW_ACCOUNT).status_code == 302
    again = Client().post(path, {**NEW_ACCOUNT, "username": "intruder"})
    assert again.status_code == 404
    assert Client().get(path).status_code == 404
    assert not get_user_model().objects.filter(username="intruder").exists()


def test_an_invitation_link_expires(
    invite: Callable[..., str], client_for: Any, coordinator: Any, maintainer_org: Any
) -> None:
    with time_machine.travel(time.time(), tick=False) as clock:
        path = invite(client_for(coordinator), maintainer_org)
        clock.shift(settings.INVITATION_MAX_AGE + 60)
        assert Client().get(path).status_code == 404
        assert Client().post(path, NEW_ACCOUNT).status_code == 404
    assert not get_user_model().objects.filter(username="newmaint").exists()


def test_a_tampered_link_is_refused(
    invite: Callable[..., str], client_for: Any, coordinator: Any, maintainer_org: Any
) -> None:
    path = invite(client_for(coordinator), maintainer_org)
    assert Client().get(path[:-3] + "xyz/").status_code == 404


def test_a_sirt_invitee_must_set_up_a_second_factor_first(
    invite: Callable[..., str],
    client_for: Any,
    coordinator: Any,
    sirt: Any,
    case: Any,
    without_auto_otp: None,
) -> None:
    path = invite(otp_login(Client(), coordinator), sirt, email="new@sirt.example")
    visitor = Client()
    response = visitor.post(path, NEW_ACCOUNT)
    assert response["Location"] == reverse("accounts:2fa")
    assert visitor.get(case.get_absolute_url())["Location"].startswith(reverse("accounts:2fa"))


@pytest.mark.parametrize("persona", ["maintainer", "partner", "outsider"])
def test_only_coordinators_can_invite(
    invite: Callable[..., str], client_for: Any, persona: str, request: Any, maintainer_org: Any
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("accounts:invitation_new")).status_code == 404
    response = client.post(
        reverse("accounts:invitation_new"), {"organisation": maintainer_org.pk, "email": "x@y.z"}
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_a_revoked_invitation_no_longer_works(
    invite: Callable[..., str], client_for: Any, coordinator: Any, maintainer_org: Any
) -> None:
    client = client_for(coordinator)
    path = invite(client, maintainer_org)
    invitation = Invitation.objects.get()
    client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    assert Client().get(path).status_code == 404


def test_weak_passwords_are_refused_on_acceptance(
    invite: Callable[..., str], client_for: Any, coordinator: Any, maintainer_org: Any
) -> None:
    path = invite(client_for(coordinator), maintainer_org)
    response = Client().post(path, {**NEW_ACCOUNT, "password1": "short", "password2": "short"})
    assert response.status_code == 400
    assert "password1" in response.context["form"].errors
    assert Invitation.objects.get().accepted_at is None
