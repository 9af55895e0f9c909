"""Field-level visibility, decided once in ``cases.access`` and used by web and API alike.

Section 2 of issue 10: the API listed every consented credit name, so each reporter of a
merged duplicate learnt who else had reported it (the web hid them). Section 4: opening
a case copied the first report's title into the case and its vulnerability, and a
second reporter merged into the case read the first reporter's words. The crawl of
every page and endpoint is tests/test_differential_visibility.py; these tests walk the
rules one by one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from cases import access, services
from cases.models import Case, Credit, Report, Vulnerability
from tests.factories import make_report, make_user

pytestmark = pytest.mark.django_db

PLACEHOLDER = access.VULNERABILITY_TITLE_UNDER_REVIEW
CASE_PLACEHOLDER = access.CASE_TITLE_UNDER_REVIEW


@pytest.fixture
def second_reporter(db: Any) -> Any:
    return make_user("reporter2", first_name="Bea", last_name="Second")


@pytest.fixture
def merged(partner_case: Case, coordinator: Any, second_reporter: Any) -> Case:
    """The case of ``reporter`` (their report's title copied into case and vulnerability),
    with a partner, and ``second_reporter``'s report of the same flaw merged into it."""
    report = make_report(second_reporter, title="Second reporter's own words")
    services.merge_report_into_case(report, partner_case, coordinator)
    return partner_case


def first_report(case: Case) -> Report:
    return case.reports.order_by("pk").first()


def page(client_for: Any, user: Any, case: Case) -> str:
    response = client_for(user).get(reverse("cases:case_detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def api(user: Any, path: str) -> Any:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()


# --------------------------------------------------------------------------- credits


def test_the_api_names_to_a_reporter_only_their_own_credit_as_the_web_does(
    merged: Case, reporter: Any, second_reporter: Any, client_for: Any
) -> None:
    first_name = reporter.get_full_name() or reporter.get_username()
    url = f"/api/v1/cases/{merged.reference}/vulnerabilities/"

    (vulnerability,) = api(second_reporter, url)

    assert vulnerability["credits"] == ["Bea Second"]
    assert first_name not in str(vulnerability)
    assert first_name not in page(client_for, second_reporter, merged)


def test_maintainers_read_every_consented_credit_in_the_api(
    merged: Case, maintainer: Any, reporter: Any
) -> None:
    (vulnerability,) = api(maintainer, f"/api/v1/cases/{merged.reference}/vulnerabilities/")

    assert set(vulnerability["credits"]) == {reporter.get_username(), "Bea Second"}


def test_a_partner_reads_no_credit_anywhere(
    merged: Case, partner: Any, coordinator: Any, client_for: Any
) -> None:
    from disclosure.models import Advisory

    Advisory.create_for_case(merged, coordinator)
    (vulnerability,) = api(partner, f"/api/v1/cases/{merged.reference}/vulnerabilities/")

    assert vulnerability["credits"] == []
    # The advisory draft (partners read it) names nobody either, before publication.
    assert "Bea Second" not in page(client_for, partner, merged)


def test_credits_visible_to_a_reporter_are_their_own(
    merged: Case, reporter: Any, second_reporter: Any
) -> None:
    case_access = access.access_for(second_reporter, merged)

    assert {c.user for c in case_access.visible_credits()} == {second_reporter}
    (vulnerability,) = case_access.vulnerabilities()
    assert [c.user for c in vulnerability.visible_credits] == [second_reporter]
    assert Credit.objects.filter(vulnerability=vulnerability, user=reporter).exists()


# --------------------------------------------------------------------------- copied wording


def test_opening_a_case_marks_the_titles_it_copies_from_the_report(
    coordinator: Any, reporter: Any, project: Any
) -> None:
    report = make_report(reporter, title="  Heap overflow in chunk parser ")
    case = services.open_case_from_report(report, coordinator, projects=[project])
    vulnerability = case.vulnerabilities.get()

    assert case.title_from_report == report
    assert vulnerability.title_from_report == report
    other = make_report(reporter, title="Another finding")
    rewritten = services.open_case_from_report(other, coordinator, title="Coordinator's words")
    assert rewritten.title_from_report is None
    assert rewritten.vulnerabilities.get().title_from_report == other


def test_a_second_reporter_reads_a_placeholder_not_the_first_reporters_words(
    merged: Case, second_reporter: Any, client_for: Any
) -> None:
    words = first_report(merged).title
    html = page(client_for, second_reporter, merged)
    detail = api(second_reporter, f"/api/v1/cases/{merged.reference}/")
    listed = api(second_reporter, "/api/v1/cases/")["results"]
    (vulnerability,) = api(second_reporter, f"/api/v1/cases/{merged.reference}/vulnerabilities/")
    case_list = client_for(second_reporter).get(reverse("cases:case_list")).content.decode()

    assert words not in html and words not in case_list
    assert PLACEHOLDER in html and CASE_PLACEHOLDER in html and CASE_PLACEHOLDER in case_list
    assert detail["title"] == listed[0]["title"] == CASE_PLACEHOLDER
    assert vulnerability["title"] == PLACEHOLDER


@pytest.mark.parametrize("persona", ["partner", "second_reporter"])
def test_others_in_the_case_read_the_placeholder(
    request: pytest.FixtureRequest, merged: Case, persona: str
) -> None:
    case_access = access.access_for(request.getfixturevalue(persona), merged)

    assert case_access.case_title == CASE_PLACEHOLDER
    assert case_access.vulnerability_title(merged.vulnerabilities.get()) == PLACEHOLDER


@pytest.mark.parametrize("persona", ["reporter", "maintainer", "coordinator"])
def test_the_author_maintainers_and_the_sirt_read_the_wording(
    request: pytest.FixtureRequest, merged: Case, persona: str, client_for: Any
) -> None:
    user = request.getfixturevalue(persona)
    words = first_report(merged).title
    (vulnerability,) = api(user, f"/api/v1/cases/{merged.reference}/vulnerabilities/")

    assert vulnerability["title"] == words
    assert api(user, f"/api/v1/cases/{merged.reference}/")["title"] == words
    assert words in page(client_for, user, merged)


def test_rewriting_a_title_makes_it_the_editors_wording(
    merged: Case, maintainer: Any, coordinator: Any, second_reporter: Any
) -> None:
    vulnerability = merged.vulnerabilities.get()
    unchanged = services.save_vulnerability(
        merged,
        maintainer,
        vulnerability=vulnerability,
        expected_version=vulnerability.version,
        title=vulnerability.title,
        cwe="CWE-787",
    )
    assert unchanged.title_from_report_id is not None
    services.save_vulnerability(
        merged,
        maintainer,
        vulnerability=unchanged,
        expected_version=unchanged.version,
        title="Out-of-bounds write in the chunk parser",
    )
    case = merged.update_details(
        coordinator, expected_version=merged.version, title="Overflow in libexample", summary=""
    )

    case_access = access.access_for(second_reporter, case)
    assert case_access.case_title == "Overflow in libexample"
    assert case_access.vulnerability_title(case.vulnerabilities.get()) == (
        "Out-of-bounds write in the chunk parser"
    )


def test_a_maintainer_marks_a_vulnerability_title_reviewed(
    merged: Case, maintainer: Any, second_reporter: Any, client_for: Any
) -> None:
    vulnerability = merged.vulnerabilities.get()
    url = reverse("cases:wording_reviewed", args=[merged.reference])

    response = client_for(maintainer).post(
        url, {"target": "vulnerability", "vulnerability": vulnerability.pk}
    )

    assert response.status_code == 302
    assert Vulnerability.objects.get(pk=vulnerability.pk).title_from_report is None
    entry = merged.timeline.order_by("-id").first()
    assert (entry.action, entry.data) == (
        "case.wording.reviewed",
        {"vulnerability": vulnerability.pk},
    )
    assert first_report(merged).title in page(client_for, second_reporter, merged)
    # The case title is the coordinators' to review.
    assert client_for(maintainer).post(url, {"target": "case"}).status_code == 403


def test_a_coordinator_marks_the_case_title_reviewed(
    merged: Case, coordinator: Any, second_reporter: Any, client_for: Any
) -> None:
    url = reverse("cases:wording_reviewed", args=[merged.reference])

    assert client_for(coordinator).post(url, {"target": "case"}).status_code == 302

    assert Case.objects.get(pk=merged.pk).title_from_report is None
    assert api(second_reporter, f"/api/v1/cases/{merged.reference}/")["title"] == merged.title
    assert merged.timeline.filter(action="case.wording.reviewed", data__field="title").exists()


def test_the_advisory_draft_shows_a_partner_the_placeholder(
    merged: Case, coordinator: Any, partner: Any, client_for: Any
) -> None:
    from disclosure.models import Advisory

    Advisory.create_for_case(merged, coordinator)
    html = page(client_for, partner, merged)

    assert first_report(merged).title not in html
    assert PLACEHOLDER in html


def test_the_migration_marks_titles_that_are_a_reports_title(merged: Case, maintainer: Any) -> None:
    """Copies made before the mark existed are found by their text (0007)."""
    from importlib import import_module

    migration = import_module("cases.migrations.0007_field_visibility")
    vulnerability = merged.vulnerabilities.get()
    Case.objects.filter(pk=merged.pk).update(title_from_report=None)
    Vulnerability.objects.filter(pk=vulnerability.pk).update(title_from_report=None)
    rewritten = services.save_vulnerability(
        merged, maintainer, title="Maintainer's own words", cwe="CWE-787"
    )

    migration.mark_existing_copies(apps, None)

    assert Case.objects.get(pk=merged.pk).title_from_report == first_report(merged)
    assert Vulnerability.objects.get(pk=vulnerability.pk).title_from_report == first_report(merged)
    assert Vulnerability.objects.get(pk=rewritten.pk).title_from_report is None


# --------------------------------------------------------------------------- participants


def test_an_answer_to_a_date_proposal_never_names_another_reporter(
    merged: Case, reporter: Any, second_reporter: Any, maintainer: Any, client_for: Any
) -> None:
    """Reporters are not asked to answer today (the service refuses them); if one ever
    did, the answer must not name them to the other reporter, on the web or in the API."""
    import datetime as dt

    from django.utils import timezone

    from disclosure import services as disclosure_services
    from disclosure.models import ProposalResponse
    from tests.scenario import embargo

    embargo(merged)
    proposal = disclosure_services.propose_date(
        merged, maintainer, public_at=timezone.now() + dt.timedelta(days=30), reason="Release"
    )
    ProposalResponse.objects.create(
        proposal=proposal,
        participant=merged.participants.get(user=reporter),
        user=reporter,
        stance="agree",
        comment="The first reporter agrees",
    )
    api_path = f"/api/v1/cases/{merged.reference}/embargo/"

    for user in (second_reporter, maintainer):
        html = page(client_for, user, merged)
        responses = api(user, api_path)["proposals"][0]["responses"]
        named = "The first reporter agrees" in html
        assert named == (user == maintainer)
        comments = [r.get("comment") for r in responses]
        assert ("The first reporter agrees" in comments) == named


# --------------------------------------------------------------------------- search


def _found_on_the_web(client_for: Any, user: Any, words: str, case: Case) -> bool:
    response = client_for(user).get(reverse("cases:case_list"), {"q": words})
    assert response.status_code == 200
    return case.reference in response.content.decode()


def _found_in_the_api(user: Any, words: str, case: Case) -> bool:
    rows = api(user, f"/api/v1/cases/?search={words}")["results"]
    return any(row["reference"] == case.reference for row in rows)


def test_search_does_not_confirm_the_words_of_a_title_a_reporter_may_not_read(
    merged: Case, second_reporter: Any, client_for: Any
) -> None:
    words = first_report(merged).title

    assert not _found_on_the_web(client_for, second_reporter, words, merged)
    assert not _found_in_the_api(second_reporter, words, merged)
    # The case itself is still found by what the reporter may read.
    assert _found_on_the_web(client_for, second_reporter, merged.reference, merged)
    assert _found_in_the_api(second_reporter, merged.reference, merged)


@pytest.mark.parametrize("persona", ["reporter", "maintainer", "coordinator"])
def test_search_matches_the_title_for_those_who_read_it(
    request: pytest.FixtureRequest, merged: Case, persona: str, client_for: Any
) -> None:
    user = request.getfixturevalue(persona)
    words = first_report(merged).title

    assert _found_on_the_web(client_for, user, words, merged)
    assert _found_in_the_api(user, words, merged)


def test_search_matches_a_reviewed_title_for_everyone_in_the_case(
    merged: Case, second_reporter: Any, coordinator: Any, client_for: Any
) -> None:
    words = first_report(merged).title
    Case.objects.filter(pk=merged.pk).update(title_from_report=None)

    assert _found_on_the_web(client_for, second_reporter, words, merged)
    assert _found_in_the_api(second_reporter, words, merged)
