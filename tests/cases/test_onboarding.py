"""The SIRT onboards organisations and projects in the portal (issue 15, section 2):
services, permissions, pages, the triage offers and the onboarding invitation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from cases import onboarding
from cases.audit import AuditEvent
from cases.models import Membership, Organisation, Project
from cases.models.people import OnboardingInvitation
from tests.factories import make_project, make_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def sirt_client(coordinator: Any) -> Client:
    client = Client()
    client.force_login(coordinator)
    return client


_CAPTURE: Any = None


@pytest.fixture(autouse=True)
def _mails_on_commit(django_capture_on_commit_callbacks: Any) -> Iterator[None]:
    global _CAPTURE
    _CAPTURE = django_capture_on_commit_callbacks
    yield


# --------------------------------------------------------------------------- services


def test_the_sirt_creates_and_edits_an_organisation_audited(coordinator: Any) -> None:
    org = onboarding.create_organisation(
        coordinator,
        name="Example Foundation",
        kind=Organisation.Kind.MAINTAINER,
        security_contact="security@example.org",
        website="https://example.org",
    )
    assert (org.slug, org.group.name) == ("example-foundation", "org:example-foundation")
    assert AuditEvent.objects.get(action="organisation.created").data["organisation"] == org.slug

    onboarding.update_organisation(
        org, coordinator, name="Example Foundation e.V.", slug="example", website=""
    )
    org.refresh_from_db()
    assert (org.name, org.slug, org.website, org.group.name) == (
        "Example Foundation e.V.",
        "example",
        "",
        "org:example",
    )
    event = AuditEvent.objects.get(action="organisation.updated")
    assert event.data == {
        "organisation": "example-foundation",
        "fields": ["name", "slug", "website"],
    }


def test_names_and_slugs_are_unique_case_insensitively(
    coordinator: Any, maintainer_org: Any
) -> None:
    with pytest.raises(ValidationError) as exc:
        onboarding.create_organisation(
            coordinator, name=maintainer_org.name.upper(), kind=Organisation.Kind.PARTNER
        )
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        onboarding.create_organisation(
            coordinator, name="Other", slug=maintainer_org.slug, kind=Organisation.Kind.PARTNER
        )
    assert "slug" in exc.value.message_dict
    assert not AuditEvent.objects.filter(action="organisation.created").exists()


def test_projects_parse_purls_and_need_a_maintainer_team(
    coordinator: Any, maintainer_org: Any, partner_org: Any
) -> None:
    project = onboarding.create_project(
        coordinator,
        name="libfancy",
        organisation=maintainer_org,
        purls=["pkg:pypi/libfancy@2.0", "pkg:pypi/libfancy", " pkg:npm/libfancy "],
        repository_url="https://git.example.org/libfancy",
    )
    assert project.purls == ["pkg:pypi/libfancy", "pkg:npm/libfancy"]
    assert AuditEvent.objects.get(action="project.created").data["purls"] == project.purls

    with pytest.raises(ValidationError) as exc:
        onboarding.create_project(
            coordinator, name="bad", organisation=maintainer_org, purls=["not a purl"]
        )
    assert "purls" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        onboarding.create_project(coordinator, name="partnerlib", organisation=partner_org)
    assert "organisation" in exc.value.message_dict

    onboarding.update_project(project, coordinator, purls=["pkg:pypi/libfancy"])
    assert AuditEvent.objects.get(action="project.updated").data["fields"] == ["purls"]
    # Nothing changed: nothing audited.
    onboarding.update_project(project, coordinator, purls=["pkg:pypi/libfancy@9"])
    assert AuditEvent.objects.filter(action="project.updated").count() == 1


def test_only_the_sirt_onboards(maintainer: Any, maintainer_org: Any) -> None:
    with pytest.raises(PermissionDenied):
        onboarding.create_organisation(maintainer, name="X", kind=Organisation.Kind.PARTNER)
    with pytest.raises(PermissionDenied):
        onboarding.update_organisation(maintainer_org, maintainer, name="Mine")
    with pytest.raises(PermissionDenied):
        onboarding.create_project(maintainer, name="y", organisation=maintainer_org)
    with pytest.raises(PermissionDenied):
        onboarding.invite_maintainers(maintainer, email="a@example.org", organisation_name="Z")


# --------------------------------------------------------------------------- pages


def test_outsiders_do_not_see_the_onboarding_pages(
    client_for: Any, maintainer_org: Any, maintainer: Any, outsider: Any, partner: Any
) -> None:
    for user in (maintainer, outsider, partner):
        client = client_for(user)
        for url in (
            "/organisations/new/",
            f"/organisations/{maintainer_org.slug}/edit/",
            "/organisations/projects/",
            "/organisations/projects/new/",
            "/organisations/invite/",
        ):
            assert client.get(url).status_code == 404, (user, url)
    assert Client().get("/organisations/new/").status_code == 302  # sign in first


def test_the_organisation_pages_create_edit_and_show_errors(sirt_client: Client) -> None:
    refused = sirt_client.post("/organisations/new/", {"name": "", "kind": "maintainer"})
    assert refused.status_code == 400
    assert not Organisation.objects.filter(kind="maintainer").exists()

    created = sirt_client.post(
        "/organisations/new/",
        {"name": "Acme Security", "kind": "partner", "security_contact": "psirt@acme.example"},
    )
    org = Organisation.objects.get(name="Acme Security")
    assert created["Location"] == f"/organisations/{org.slug}/members/"

    edited = sirt_client.post(
        f"/organisations/{org.slug}/edit/",
        {"name": "Acme Security", "slug": org.slug, "kind": "partner", "website": "acme.example"},
    )
    org.refresh_from_db()
    assert edited.status_code == 302
    assert (org.website, org.security_contact) == ("https://acme.example", "")
    listing = sirt_client.get("/organisations/").content.decode()
    assert f"/organisations/{org.slug}/edit/" in listing


def test_the_project_pages_create_and_edit(sirt_client: Client, maintainer_org: Any) -> None:
    bad = sirt_client.post(
        "/organisations/projects/new/",
        {"name": "p", "organisation": maintainer_org.pk, "purls": "pkg:\nnope"},
    )
    assert bad.status_code == 400
    assert "nope" in bad.content.decode()

    sirt_client.post(
        "/organisations/projects/new/",
        {"name": "libnew", "organisation": maintainer_org.pk, "purls": "pkg:pypi/libnew@1.0"},
    )
    project = Project.objects.get(name="libnew")
    assert project.purls == ["pkg:pypi/libnew"]
    page = sirt_client.get(f"/organisations/projects/{project.slug}/edit/").content.decode()
    assert "pkg:pypi/libnew" in page
    sirt_client.post(
        f"/organisations/projects/{project.slug}/edit/",
        {
            "name": "libnew",
            "slug": project.slug,
            "organisation": maintainer_org.pk,
            "purls": "pkg:pypi/libnew\npkg:deb/debian/libnew",
        },
    )
    project.refresh_from_db()
    assert project.purls == ["pkg:pypi/libnew", "pkg:deb/debian/libnew"]
    assert "libnew" in sirt_client.get("/organisations/projects/").content.decode()


# --------------------------------------------------------------------------- triage


def test_open_a_case_preselects_the_projects_of_the_reports_purl(
    sirt_client: Client, reporter: Any, maintainer_org: Any
) -> None:
    libexample = make_project(maintainer_org, name="libexample")
    other = make_project(maintainer_org, name="libother")
    report = make_report(reporter, purl="pkg:pypi/libexample@1.2.0")

    page = sirt_client.get(f"/reports/{report.pk}/").content.decode()

    checked = re.findall(r'<input[^>]*name="projects"[^>]*value="(\d+)"[^>]*checked', page)
    assert checked == [str(libexample.pk)]
    assert str(other.pk) in page
    assert "No project lists this package" not in page


def test_an_unknown_purl_offers_to_create_the_project_or_invite(
    sirt_client: Client, reporter: Any, maintainer_org: Any
) -> None:
    report = make_report(reporter, purl="pkg:github/acme/widget@v2")
    page = sirt_client.get(f"/reports/{report.pk}/").content.decode()
    assert "No project lists this package" in page
    assert f"/organisations/projects/new/?report={report.pk}" in page
    assert f"/organisations/invite/?report={report.pk}" in page

    form = sirt_client.get(f"/organisations/projects/new/?report={report.pk}").content.decode()
    assert 'value="widget"' in form
    assert "pkg:github/acme/widget</textarea>" in form
    assert 'value="https://github.com/acme/widget"' in form

    created = sirt_client.post(
        f"/organisations/projects/new/?report={report.pk}",
        {
            "name": "widget",
            "organisation": maintainer_org.pk,
            "purls": "pkg:github/acme/widget",
            "repository_url": "https://github.com/acme/widget",
            "next_report": str(report.pk),
        },
    )
    assert created["Location"] == f"/reports/{report.pk}/"
    page = sirt_client.get(f"/reports/{report.pk}/").content.decode()
    assert "No project lists this package" not in page


def test_a_reporter_sees_no_onboarding_offer(client_for: Any, reporter: Any) -> None:
    report = make_report(reporter, purl="pkg:github/acme/widget@v2")
    response = client_for(reporter).get(f"/reports/{report.pk}/")
    assert response.status_code == 200
    assert "No project lists this package" not in response.content.decode()


# --------------------------------------------------------------------------- invitations


def test_inviting_maintainers_creates_the_organisation_on_acceptance(
    sirt_client: Client, reporter: Any
) -> None:
    report = make_report(reporter, purl="pkg:github/acme/widget@v2")
    form = sirt_client.get(f"/organisations/invite/?report={report.pk}").content.decode()
    assert 'value="widget maintainers"' in form

    with _CAPTURE(execute=True):
        sent = sirt_client.post(
            "/organisations/invite/",
            {
                "report": str(report.pk),
                "email": "security@acme.example",
                "organisation_name": "Acme Widgets",
                "organisation_kind": "maintainer",
                "website": "https://acme.example",
                "project_name": "widget",
                "project_purls": "pkg:github/acme/widget",
                "project_repository_url": "https://github.com/acme/widget",
            },
        )
    assert sent["Location"] == f"/reports/{report.pk}/"
    assert not Organisation.objects.filter(name="Acme Widgets").exists()
    assert mail.outbox[-1].to == ["security@acme.example"]
    found = re.search(r"/organisations/join/(\S+)/", str(mail.outbox[-1].body))
    assert found
    token = found.group(1)
    listing = sirt_client.get("/organisations/invitations/").content.decode()
    assert "Acme Widgets" in listing

    invitee = Client()
    assert invitee.get(f"/organisations/join/{token}/").status_code == 200
    accepted = invitee.post(
        f"/organisations/join/{token}/",
        {"username": "acme-sec", "password1": "widget-pass-9876", "password2": "widget-pass-9876"},
    )

    assert accepted.status_code == 302
    org = Organisation.objects.get(name="Acme Widgets")
    assert (org.kind, org.security_contact, org.website) == (
        "maintainer",
        "security@acme.example",
        "https://acme.example",
    )
    membership = Membership.objects.get(organisation=org)
    assert (membership.user.username, membership.role) == ("acme-sec", "admin")
    project = Project.objects.get(name="widget")
    assert (project.organisation, project.purls) == (org, ["pkg:github/acme/widget"])
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"onboarding.invitation.sent", "onboarding.invitation.accepted"} <= actions
    # The link works once.
    assert Client().get(f"/organisations/join/{token}/").status_code == 404
    # Now the report's purl matches a project: "Open a case" pre-selects it.
    page = sirt_client.get(f"/reports/{report.pk}/").content.decode()
    assert "No project lists this package" not in page


def test_an_invitation_can_be_revoked_and_refuses_known_addresses(
    coordinator: Any, sirt_client: Client, maintainer: Any
) -> None:
    with pytest.raises(ValidationError) as exc:
        onboarding.invite_maintainers(
            coordinator, email=maintainer.email, organisation_name="New Org"
        )
    assert "email" in exc.value.message_dict
    invitation, link = onboarding.invite_maintainers(
        coordinator, email="new@example.net", organisation_name="New Org"
    )
    response = sirt_client.post(f"/organisations/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action="onboarding.invitation.revoked").exists()
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert onboarding.find_pending(token) is None
    assert OnboardingInvitation.objects.count() == 1
