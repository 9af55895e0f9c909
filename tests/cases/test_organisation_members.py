"""Organisation admins manage their own organisation's members; the SIRT every one's."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from cases import memberships
from cases.accounts.models import Invitation
from cases.models import AuditEvent, Membership, Organisation
from tests.access_drift import assert_no_access_drift
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin(maintainer_org: Organisation) -> Any:
    user = make_user("maintadmin", first_name="Ada", last_name="Admin")
    maintainer_org.add_member(user, role=Membership.Role.ADMIN)
    return user


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _members_url(org: Organisation) -> str:
    return reverse("cases:organisation_members", args=[org.slug])


def _membership(user: Any, org: Organisation) -> Membership:
    return Membership.objects.get(user=user, organisation=org)


def test_an_organisation_admin_lists_their_members(
    org_admin: Any, maintainer: Any, maintainer_org: Organisation
) -> None:
    response = _client(org_admin).get(_members_url(maintainer_org))

    assert response.status_code == 200
    assert maintainer.email.encode() in response.content
    assert b"Ada Admin" in response.content


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("org_admin", 200),
        ("coordinator", 200),
        ("maintainer", 403),  # a member: sees the organisation, may not manage it
        ("other_maintainer", 404),
        ("partner", 404),
        ("outsider", 404),
    ],
)
def test_who_reaches_the_members_page(
    request: pytest.FixtureRequest, maintainer_org: Organisation, persona: str, status: int
) -> None:
    user = request.getfixturevalue(persona)

    assert _client(user).get(_members_url(maintainer_org)).status_code == status


def test_another_organisations_admin_gets_404(
    maintainer_org: Organisation, other_maintainer: Any, other_maintainer_org: Organisation
) -> None:
    other_maintainer_org.add_member(other_maintainer, role=Membership.Role.ADMIN)
    client = _client(other_maintainer)

    assert client.get(_members_url(maintainer_org)).status_code == 404
    assert client.get(_members_url(other_maintainer_org)).status_code == 200


def test_a_missing_organisation_reads_like_a_foreign_one(outsider: Any) -> None:
    url = reverse("cases:organisation_members", args=["no-such-org"])

    assert _client(outsider).get(url).status_code == 404


def test_a_deactivated_admin_manages_nothing(
    org_admin: Any, maintainer: Any, maintainer_org: Organisation
) -> None:
    org_admin.is_active = False
    org_admin.save()

    with pytest.raises(PermissionDenied):
        memberships.remove_membership(_membership(maintainer, maintainer_org), org_admin)


def test_the_admin_invites_someone_to_their_organisation(
    org_admin: Any, maintainer_org: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("cases:member_invite", args=[maintainer_org.slug])

    with django_capture_on_commit_callbacks(execute=True):
        response = _client(org_admin).post(url, {"email": "newcomer@example.org"})

    assert response.status_code == 302
    invitation = Invitation.objects.get(email="newcomer@example.org")
    assert invitation.organisation == maintainer_org
    assert invitation.invited_by == org_admin
    assert [m.to for m in mail.outbox] == [["newcomer@example.org"]]
    assert AuditEvent.objects.filter(action="account.invitation.sent", actor=org_admin).exists()
    page = _client(org_admin).get(_members_url(maintainer_org))
    assert b"newcomer@example.org" in page.content


def test_a_member_cannot_invite(maintainer: Any, maintainer_org: Organisation) -> None:
    url = reverse("cases:member_invite", args=[maintainer_org.slug])

    assert _client(maintainer).post(url, {"email": "x@example.org"}).status_code == 403
    assert not Invitation.objects.exists()


def test_the_admin_changes_a_role_and_it_is_audited(
    org_admin: Any, maintainer: Any, maintainer_org: Organisation
) -> None:
    membership = _membership(maintainer, maintainer_org)
    url = reverse("cases:member_role", args=[maintainer_org.slug, membership.pk])

    response = _client(org_admin).post(url, {"role": "admin"})

    assert response.status_code == 302
    assert _membership(maintainer, maintainer_org).role == "admin"
    event = AuditEvent.objects.get(action="organisation.member.role_changed")
    assert (event.actor, event.object_id) == (org_admin, str(maintainer.pk))


def test_the_last_admin_cannot_step_down_or_leave(
    org_admin: Any, maintainer_org: Organisation
) -> None:
    own = _membership(org_admin, maintainer_org)

    with pytest.raises(ValidationError):
        memberships.change_role(own, Membership.Role.MEMBER, org_admin)
    with pytest.raises(ValidationError):
        memberships.remove_membership(own, org_admin)

    assert _membership(org_admin, maintainer_org).role == "admin"


def test_the_sirt_may_remove_an_organisations_last_admin(
    org_admin: Any, coordinator: Any, maintainer_org: Organisation
) -> None:
    memberships.remove_membership(_membership(org_admin, maintainer_org), coordinator)

    assert not Membership.objects.filter(user=org_admin).exists()
    assert_no_access_drift()


def test_an_admin_may_leave_when_another_admin_remains(
    org_admin: Any, maintainer: Any, maintainer_org: Organisation
) -> None:
    memberships.change_role(_membership(maintainer, maintainer_org), "admin", org_admin)
    client = _client(org_admin)
    url = reverse(
        "cases:member_remove",
        args=[maintainer_org.slug, _membership(org_admin, maintainer_org).pk],
    )

    response = client.post(url, {"confirm": "yes"})

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:profile")
    assert client.get(_members_url(maintainer_org)).status_code == 404
    assert_no_access_drift()


def test_removal_asks_for_confirmation_first(
    org_admin: Any, maintainer: Any, maintainer_org: Organisation
) -> None:
    membership = _membership(maintainer, maintainer_org)
    url = reverse("cases:member_remove", args=[maintainer_org.slug, membership.pk])
    client = _client(org_admin)

    page = client.get(url)
    unconfirmed = client.post(url)

    assert page.status_code == 200
    assert b'name="confirm"' in page.content
    assert unconfirmed.status_code == 400
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not AuditEvent.objects.filter(action="organisation.member.removed").exists()


def test_a_membership_of_another_organisation_is_not_found(
    org_admin: Any, other_maintainer: Any, other_maintainer_org: Organisation
) -> None:
    foreign = _membership(other_maintainer, other_maintainer_org)
    url = reverse("cases:member_remove", args=["libexample-maintainers", foreign.pk])

    assert _client(org_admin).get(url).status_code == 404
    assert _client(org_admin).post(url, {"confirm": "yes"}).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_the_organisation_list_shows_what_the_user_manages(
    org_admin: Any,
    coordinator: Any,
    maintainer: Any,
    maintainer_org: Organisation,
    partner_org: Organisation,
) -> None:
    url = reverse("cases:organisation_list")

    as_admin = _client(org_admin).get(url)
    as_sirt = _client(coordinator).get(url, {"q": "partner"})
    as_member = _client(maintainer).get(url)

    assert _members_url(maintainer_org).encode() in as_admin.content
    assert _members_url(partner_org).encode() not in as_admin.content
    assert _members_url(partner_org).encode() in as_sirt.content
    assert _members_url(maintainer_org).encode() not in as_member.content


def test_the_profile_links_admins_to_their_members_page(
    org_admin: Any, maintainer: Any, maintainer_org: Organisation
) -> None:
    link = _members_url(maintainer_org).encode()

    assert link in _client(org_admin).get(reverse("cases:profile")).content
    assert link not in _client(maintainer).get(reverse("cases:profile")).content
