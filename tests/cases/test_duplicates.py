"""Duplicate detection at intake, on a small labelled set of reports."""

from __future__ import annotations

from typing import Any

import pytest

from cases import duplicates, services
from cases.models import Case, ParticipantRole, Report, ReportStatus
from tests.factories import make_case, make_project, make_report, make_user

pytestmark = pytest.mark.django_db

OVERFLOW = {
    "title": "Heap buffer overflow in libexample header parser",
    "description": (
        "parse_header() copies the header name into a fixed 256-byte buffer without "
        "checking its length; a long header name overflows the heap buffer."
    ),
    "purl": "pkg:pypi/libexample@1.2.0",
    "vers": "vers:pypi/>=1.0|<1.4.2",
    "cwe": "CWE-787",
    "cvss_vector": "",
}

# (label, fields of a second report, is it the same flaw?)
LABELLED = [
    (
        "same flaw, other scanner wording, related CWE",
        {
            "title": "Out-of-bounds write in libexample parse_header",
            "description": (
                "A header name longer than 256 bytes is copied into a fixed-size heap "
                "buffer in parse_header(), writing out of bounds."
            ),
            "purl": "pkg:pypi/libexample@1.3.1",
            "vers": "vers:pypi/>=1.2|<1.4",
            "cwe": "CWE-122",
        },
        True,
    ),
    (
        "same flaw, nearly the same title",
        {
            "title": "Heap buffer overflow in libexample header parser (parse_header)",
            "description": "Long header names overflow a heap buffer in parse_header.",
            "purl": "pkg:pypi/libexample@1.2.0",
            "vers": "vers:pypi/<1.4.2",
            "cwe": "CWE-787",
        },
        True,
    ),
    (
        "same package, unrelated weakness and text",
        {
            "title": "Reflected XSS in libexample admin search page",
            "description": "The q parameter is echoed into the page without escaping.",
            "purl": "pkg:pypi/libexample@1.3.0",
            "vers": "vers:pypi/>=1.3|<1.3.5",
            "cwe": "CWE-79",
        },
        False,
    ),
    (
        "same package and CWE, versions that do not overlap, other function",
        {
            "title": "Stack overflow in libexample legacy cookie decoder",
            "description": "decode_cookie() in the 0.x series recurses without bound.",
            "purl": "pkg:pypi/libexample@0.9.0",
            "vers": "vers:pypi/<0.9.5",
            "cwe": "CWE-674",
        },
        False,
    ),
    (
        "other package, similar words",
        {
            "title": "SQL injection in fastparse report export",
            "description": "The sort parameter is concatenated into the SQL query.",
            "purl": "pkg:npm/fastparse@2.0.0",
            "vers": "vers:npm/<2.1.0",
            "cwe": "CWE-89",
        },
        False,
    ),
]


@pytest.fixture
def overflow_case(coordinator: Any, project: Any, maintainer_org: Any) -> Case:
    return make_case(coordinator, project=project, maintainers=maintainer_org, **OVERFLOW)


@pytest.mark.parametrize(("label", "fields", "duplicate"), LABELLED, ids=[x[0] for x in LABELLED])
def test_labelled_reports_are_matched_to_the_open_case_only_when_they_are_the_same_flaw(
    overflow_case: Case, label: str, fields: dict, duplicate: bool
) -> None:
    report = make_report(make_user(), cvss_vector="", **fields)

    candidates = duplicates.candidates_for(report)
    top_cases = [c for c in candidates if c.case is not None]

    if duplicate:
        assert top_cases and top_cases[0].case == overflow_case
        assert top_cases[0].score >= duplicates.NOTICE_THRESHOLD
        assert any("package" in r for r in top_cases[0].reasons)
    else:
        assert all(
            c.case != overflow_case or c.score < duplicates.NOTICE_THRESHOLD for c in candidates
        )


def test_an_untriaged_report_of_the_same_flaw_is_a_candidate_with_its_reasons() -> None:
    first = make_report(make_user(), **OVERFLOW)
    second = make_report(make_user(), **{**LABELLED[0][1], "cvss_vector": ""})

    candidates = duplicates.candidates_for(second)

    assert [c.report for c in candidates] == [first]
    reasons = " ".join(candidates[0].reasons)
    assert "same package pkg:pypi/libexample" in reasons
    assert "affected versions overlap" in reasons
    assert "related weakness (memory safety)" in reasons


def test_a_report_is_never_its_own_candidate_nor_its_own_case(overflow_case: Case) -> None:
    report = overflow_case.reports.get()
    assert duplicates.candidates_for(report) == []


def test_closed_cases_are_not_candidates(overflow_case: Case, coordinator: Any) -> None:
    Case.objects.filter(pk=overflow_case.pk).update(state="closed")
    report = make_report(make_user(), **{**OVERFLOW, "title": OVERFLOW["title"] + " again"})
    assert [c for c in duplicates.candidates_for(report) if c.case] == []


def test_merging_a_candidate_makes_the_reporter_a_credited_reporter_participant(
    overflow_case: Case, coordinator: Any
) -> None:
    reporter = make_user("second_reporter", first_name="Sec", last_name="Ond")
    report = make_report(reporter, **{**LABELLED[0][1], "cvss_vector": ""})
    best = duplicates.candidates_for(report)[0]

    services.merge_report_into_case(report, best.case, coordinator)

    report.refresh_from_db()
    assert report.status == ReportStatus.DUPLICATE and report.case == overflow_case
    assert (
        overflow_case.participants.active()
        .filter(user=reporter, role=ParticipantRole.REPORTER)
        .exists()
    )
    assert overflow_case.vulnerabilities.first().credits.filter(user=reporter).exists()
    assert overflow_case.timeline.filter(action="case.report.merged").exists()


def test_the_reporter_learns_only_that_it_is_under_coordination_not_the_case_they_cannot_see(
    overflow_case: Case,
) -> None:
    reporter = make_user()
    report = make_report(reporter, **{**LABELLED[1][1], "cvss_vector": ""})

    notice = duplicates.coordination_notice(report, reporter)

    assert notice == {"already_under_coordination": True, "case": None}


def test_a_maintainer_of_the_case_learns_the_reference(
    overflow_case: Case, maintainer: Any
) -> None:
    report = make_report(maintainer, **{**LABELLED[1][1], "cvss_vector": ""})
    notice = duplicates.coordination_notice(report, maintainer)
    assert notice == {"already_under_coordination": True, "case": overflow_case.reference}


def test_the_same_report_sent_twice_by_the_same_reporter_is_stored_once() -> None:
    reporter = make_user()
    first, created = services.submit_report(reporter=reporter, **OVERFLOW)
    again, created_again = services.submit_report(reporter=reporter, **OVERFLOW)
    assert created and not created_again and first == again
    assert Report.objects.filter(reporter=reporter).count() == 1


def test_project_purls_find_cases_without_affected_packages(
    coordinator: Any, maintainer_org: Any
) -> None:
    project = make_project(maintainer_org, name="zlibby")
    case = make_case(
        coordinator,
        project=project,
        purl="",
        vers="",
        **{k: v for k, v in OVERFLOW.items() if k not in ("purl", "vers")},
    )
    report = make_report(make_user(), **{**OVERFLOW, "purl": "pkg:pypi/zlibby@1.0"})
    assert case in [c.case for c in duplicates.candidates_for(report)]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("vers:pypi/>=1.0|<1.4.2", "vers:pypi/>=1.2|<1.4", True),
        ("vers:pypi/<1.0", "vers:pypi/>=2.0", False),
        ("vers:pypi/>1.0|<2.0", "vers:pypi/>1.0|<3.0", True),
        ("vers:pypi/<=1.0", "vers:pypi/>=1.0", True),
        ("vers:pypi/<1.0", "vers:pypi/>=1.0", False),
        ("vers:pypi/*", "vers:pypi/1.5", True),
        ("vers:pypi/<1.0", "vers:npm/<1.0", None),
        ("", "vers:pypi/<1.0", None),
    ],
)
def test_version_ranges_overlap(a: str, b: str, expected: bool | None) -> None:
    assert duplicates.versions_overlap(a, b) is expected


def test_related_cwes_are_recognised_by_family() -> None:
    assert duplicates.cwe_relation("CWE-787", "CWE-787") == "same"
    assert duplicates.cwe_relation("CWE-787", "CWE-125") == "memory safety"
    assert duplicates.cwe_relation("CWE-79", "CWE-80") == "cross-site scripting"
    assert duplicates.cwe_relation("CWE-79", "CWE-89") is None


def test_a_report_without_a_package_is_matched_by_its_text(overflow_case: Case) -> None:
    report = make_report(
        make_user(),
        title=OVERFLOW["title"],
        description=OVERFLOW["description"],
        purl="",
        vers="",
        cwe="CWE-787",
        cvss_vector="",
    )
    best = duplicates.candidates_for(report)[0]
    assert best.case == overflow_case
    assert any(r.startswith("similar text") for r in best.reasons)


def test_a_known_package_keeps_the_search_within_it(overflow_case: Case) -> None:
    """Same title, another known package: package equality decides, no text-only match."""
    report = make_report(
        make_user(), **{**OVERFLOW, "purl": "pkg:pypi/fastparse@1.0", "vers": "", "cvss_vector": ""}
    )
    assert all(c.score < duplicates.NOTICE_THRESHOLD for c in duplicates.candidates_for(report))
