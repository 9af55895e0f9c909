"""Release data entered once: a project's fixed version is the fixed versions of its
affected packages on the case, whether written on the release page or on the
vulnerability; maintainers start the release plan and propose its target; a post on
the release page leads back to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases import services as case_services
from cases.access import access_for
from cases.models import AffectedPackage, Case
from cases.models.vulnerabilities import fixed_versions_of
from disclosure import services
from disclosure.models import ProjectRelease, ReleasePlan
from disclosure.panels import build_panels
from tests.api.conftest import token_client
from tests.disclosure.conftest import MONDAY

UTC = dt.UTC
TARGET = dt.datetime(2026, 3, 13, 14, 0, tzinfo=UTC)
NO_FIXED_VERSION = "libexample: no fixed version recorded."


def url(name: str, case: Case, *args: Any) -> str:
    return reverse(f"disclosure:{name}", args=[case.reference, *args])


def release_of(case: Case, coordinator: Any) -> ProjectRelease:
    plan = services.save_release_plan(case, coordinator, target_at=TARGET, expected_version=None)
    return plan.project_releases.get(project__name="libexample")


def blockers(case: Case) -> list[str]:
    plan = ReleasePlan.objects.prefetch_related("project_releases__project").get(case=case)
    return plan.blockers()


def test_the_maintainer_records_the_fix_on_the_release_page_and_the_vulnerability_shows_it(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    release = release_of(case, coordinator)
    assert NO_FIXED_VERSION in blockers(case)
    client = client_for(maintainer)

    response = client.post(
        url("project_release_update", case, release.pk),
        {
            "fixed_versions": "1.4.2",
            "fix_url": "https://git.example.org/pr/1",
            "status": "ready",
            "version": release.version,
            "from": "release",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("release_overview", case) + "#release"
    affected = AffectedPackage.objects.get(vulnerability__case=case)
    assert affected.fixed_versions == ["1.4.2"]
    assert NO_FIXED_VERSION not in blockers(case)
    case_page = client.get(reverse("cases:case_detail", args=[case.reference]))
    assert "1.4.2" in case_page.content.decode()
    entry = case.timeline.filter(action="case.release.project_updated").latest("pk")
    assert entry.data["fixed_versions"] == ["1.4.2"]


def test_editing_the_vulnerabilitys_fixed_version_shows_on_the_release_page(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    release_of(case, coordinator)
    vuln = case.vulnerabilities.get()
    case_services.save_vulnerability(
        case,
        maintainer,
        vulnerability=vuln,
        expected_version=vuln.version,
        title=vuln.title,
        affected=[
            {
                "purl": "pkg:pypi/libexample",
                "vers": "vers:pypi/>=1.0|<1.4.3",
                "fixed_versions": ["1.4.3"],
            }
        ],
    )

    page = client_for(maintainer).get(url("release_overview", case))
    api = token_client(maintainer).get(f"/api/v1/cases/{case.reference}/release/").json()

    assert "1.4.3" in page.content.decode()
    assert NO_FIXED_VERSION not in blockers(case)
    assert api["projects"][0]["fixed_versions"] == ["1.4.3"]


def test_a_fixed_version_inside_the_affected_range_is_refused_on_the_release_page(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    release = release_of(case, coordinator)

    response = client_for(maintainer).post(
        url("project_release_update", case, release.pk),
        {"fixed_versions": "1.4.1", "fix_url": "", "status": "ready", "from": "release"},
    )

    assert response.status_code == 400
    assert "inside the affected range" in response.content.decode()
    assert b"Back to the release plan" in response.content
    assert AffectedPackage.objects.get(vulnerability__case=case).fixed_versions == []
    assert ProjectRelease.objects.get(pk=release.pk).status == "planned"


def test_a_project_without_an_affected_package_gets_a_field_error_with_a_link(
    frozen: Any,
    case: Case,
    coordinator: Any,
    other_maintainer: Any,
    other_maintainer_org: Any,
    other_project: Any,
    client_for: Any,
) -> None:
    case_services.add_project(case, coordinator, other_project)
    case_services.add_participant(
        case, coordinator, organisation=other_maintainer_org, role="maintainer", notify=False
    )
    plan = services.save_release_plan(case, coordinator, target_at=TARGET, expected_version=None)
    fastparse = plan.project_releases.get(project__name="fastparse")

    response = client_for(other_maintainer).post(
        url("project_release_update", case, fastparse.pk),
        {"fixed_versions": "2.3.1", "fix_url": "", "status": "ready"},
    )
    api = token_client(other_maintainer).patch(
        f"/api/v1/cases/{case.reference}/release/projects/{fastparse.pk}/",
        {"fixed_versions": ["2.3.1"], "version": fastparse.version},
        format="json",
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "No affected package of fastparse is recorded" in body
    vuln = case.vulnerabilities.get()
    link = reverse("cases:vulnerability_edit", args=[case.reference, vuln.pk])
    assert f'href="{link}#affected"' in body
    assert api.status_code == 400
    assert "fixed_versions" in api.json()["error"]["fields"]
    assert fixed_versions_of(case.pk, other_project) == []


def test_recording_a_fixed_version_refuses_an_edit_opened_before(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    release = release_of(case, coordinator)
    vuln = case.vulnerabilities.get()
    opened_version = vuln.version
    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="",
        status="ready",
        expected_version=None,
    )

    response = client_for(maintainer).post(
        reverse("cases:vulnerability_edit", args=[case.reference, vuln.pk]),
        {
            "title": vuln.title,
            "version": opened_version,
            "affected-TOTAL_FORMS": "1",
            "affected-INITIAL_FORMS": "0",
            "affected-0-purl": "pkg:pypi/libexample",
            "affected-0-vers": "vers:pypi/>=1.0|<1.4.2",
            "affected-0-fixed": "",
        },
    )

    assert response.status_code == 409
    assert AffectedPackage.objects.get(vulnerability=vuln).fixed_versions == ["1.4.2"]


# --------------------------------------------------------------------------- starting the plan


def test_a_maintainer_starts_the_plan_and_proposes_its_target(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    proposed = MONDAY + dt.timedelta(days=10)
    client = client_for(maintainer)
    assert b"Start the release plan" in client.get(url("release_overview", case)).content

    response = client.post(
        url("release_target_propose", case),
        {"target_at": proposed.strftime("%Y-%m-%dT%H:%M"), "confirm": "on", "from": "release"},
    )

    assert response.status_code == 302
    assert response["Location"] == url("release_overview", case) + "#release"
    plan = ReleasePlan.objects.get(case=case)
    assert plan.target_at is None and plan.proposed_target_at == proposed
    assert plan.proposed_by == maintainer
    assert [r.project.name for r in plan.project_releases.all()] == ["libexample"]
    assert case.timeline.filter(action="case.release.target_proposed").exists()
    assert "No target release time is set (a maintainer proposed one" in blockers(case)[0]
    # Setting the target stays the coordinators'.
    assert (
        client.post(url("release_plan_save", case), {"target_at": "2026-03-20T12:00"}).status_code
        == 403
    )

    maintainers_panel = build_panels(case, access_for(maintainer, case))
    assert "plan" not in maintainers_panel.forms and "target_proposal" in maintainers_panel.forms
    # The coordinator's form holds the proposal: saving it accepts it.
    coordinators_panel = build_panels(case, access_for(coordinator, case))
    assert coordinators_panel.forms["plan"].initial["target_at"] == proposed
    services.save_release_plan(case, coordinator, target_at=proposed, expected_version=plan.version)
    plan.refresh_from_db()
    assert plan.target_at == proposed and plan.proposed_target_at is None
    entry = case.timeline.filter(action="case.release.planned").latest("pk")
    assert entry.data["proposal"] == "accepted"


def test_only_maintainers_of_the_cases_projects_and_coordinators_start_the_plan(
    frozen: Any,
    deploy_case: Case,
    partner: Any,
    reporter: Any,
    client_for: Any,
) -> None:
    for user in (partner, reporter):
        with pytest.raises(PermissionDenied):
            services.propose_release_target(
                deploy_case, user, target_at=None, expected_version=None
            )
    assert not ReleasePlan.objects.filter(case=deploy_case).exists()
    assert (
        "target_proposal" not in build_panels(deploy_case, access_for(partner, deploy_case)).forms
    )
    refused = client_for(partner).post(
        url("release_target_propose", deploy_case), {"confirm": "on"}
    )
    assert refused.status_code == 403


def test_a_target_in_the_past_is_refused(frozen: Any, case: Case, maintainer: Any) -> None:
    with pytest.raises(ValidationError) as err:
        services.propose_release_target(
            case, maintainer, target_at=MONDAY - dt.timedelta(days=1), expected_version=None
        )
    assert "target_at" in err.value.message_dict


def test_a_post_from_the_case_page_still_leads_back_to_the_case_page(
    frozen: Any, case: Case, coordinator: Any, client_for: Any
) -> None:
    response = client_for(coordinator).post(
        url("release_plan_save", case), {"target_at": "2026-03-20T12:00"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", args=[case.reference]) + "#release"
