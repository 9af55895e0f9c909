"""Duplicate detection at intake, on small hand-written cases of one invented package.

The figures on real advisories come from ``make eval-dedupe`` (README); these tests
pin the behaviour: retrieval over everything known of a case and not by recency,
calibrated scores that separate "same flaw, other words" from "same package, other
flaw", the reasons shown, and the search documents the triggers keep current.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from cases import duplicate_signals, duplicates, duplicates_eval, services
from cases.duplicate_documents import CaseSearchDocument
from cases.models import Case, ParticipantRole, Report, ReportStatus
from tests.factories import make_case, make_project, make_report, make_user

pytestmark = pytest.mark.django_db

PURL = "pkg:pypi/libexample@1.2.0"

OVERFLOW = {
    "title": "Heap buffer overflow in libexample header parser",
    "description": (
        "parse_header() copies the header name into a fixed 256-byte buffer without "
        "checking its length; a long header name overflows the heap buffer."
    ),
    "purl": PURL,
    "vers": "vers:pypi/>=1.0|<1.4.2",
    "cwe": "CWE-787",
    "cvss_vector": "",
}

# Other flaws of the same package, each as its first reporter wrote it.
OTHER_FLAWS = [
    {
        "title": "Reflected cross-site scripting in the libexample admin search page",
        "description": (
            "The q parameter of /admin/search is echoed into the results page without "
            "escaping, so a crafted link runs script in an administrator's session."
        ),
        "vers": "vers:pypi/>=1.1|<1.3.5",
        "cwe": "CWE-79",
    },
    {
        "title": "Path traversal in libexample static file handler",
        "description": (
            "serve_static() joins the requested path to the asset folder without "
            "normalising it; ../ sequences read any file the process can open."
        ),
        "vers": "vers:pypi/<1.4.0",
        "cwe": "CWE-22",
    },
    {
        "title": "SQL injection in libexample report export",
        "description": (
            "The sort argument of export_report() is formatted into the ORDER BY clause "
            "of the query, letting an authenticated user run arbitrary SQL."
        ),
        "vers": "vers:pypi/>=1.2|<1.4.1",
        "cwe": "CWE-89",
    },
    {
        "title": "Regular expression denial of service in libexample email validator",
        "description": (
            "validate_email() uses a pattern with nested quantifiers; a 50-character "
            "address with many dots makes the match take minutes of CPU time."
        ),
        "vers": "vers:pypi/<1.5.0",
        "cwe": "CWE-1333",
    },
    {
        "title": "Token refresh in libexample accepts expired refresh tokens",
        "description": (
            "refresh_session() checks the signature of the refresh token but never its "
            "expiry, so a stolen token keeps working after logout."
        ),
        "vers": "vers:pypi/>=1.0|<1.4.2",
        "cwe": "CWE-613",
    },
]

# The path traversal again, as a second scanner words it.
TRAVERSAL_PARAPHRASE = {
    "title": "Directory traversal lets requests read arbitrary files (libexample)",
    "description": (
        "Requests for static assets containing dot-dot-slash segments escape the asset "
        "folder: serve_static does not normalise the joined path before opening the "
        "file, disclosing arbitrary files readable by the server process."
    ),
    "purl": "pkg:pypi/libexample@1.3.2",
    "vers": "vers:pypi/<1.4.0",
    "cwe": "CWE-23",
    "cvss_vector": "",
}

# A flaw of the same package that nobody has reported yet.
NEW_FLAW = {
    "title": "Cross-site request forgery on the libexample settings form",
    "description": (
        "The settings form of the admin interface accepts POST requests without a CSRF "
        "token, so a page the administrator visits can change the mail server."
    ),
    "purl": "pkg:pypi/libexample@1.3.0",
    "vers": "vers:pypi/>=1.0|<1.4.2",
    "cwe": "CWE-352",
    "cvss_vector": "",
}


def _case(coordinator: Any, **fields: Any) -> Case:
    return make_case(coordinator, **{"purl": PURL, "cvss_vector": "", **fields})


@pytest.fixture
def libexample_cases(coordinator: Any) -> list[Case]:
    """The overflow, then five other flaws of the same package, each an open case."""
    return [_case(coordinator, **OVERFLOW)] + [_case(coordinator, **f) for f in OTHER_FLAWS]


def _cases_of(candidates: list[duplicates.Candidate]) -> list[Case]:
    return [c.case for c in candidates if c.case is not None]


# --------------------------------------------------------------------------- ranking


def test_a_paraphrase_of_a_cases_report_ranks_first_among_the_packages_cases(
    libexample_cases: list[Case],
) -> None:
    traversal = libexample_cases[2]
    report = make_report(make_user(), **TRAVERSAL_PARAPHRASE)

    candidates = duplicates.candidates_for(report)

    assert _cases_of(candidates)[0] == traversal
    best = candidates[0]
    assert best.likely and best.score >= duplicates.LIKELY_THRESHOLD
    reasons = " | ".join(best.reasons)
    assert "same package pkg:pypi/libexample" in reasons
    assert "same affected versions" in reasons
    assert "CWE-23 is a child of CWE-22" in reasons
    assert "text similarity 0." in reasons and "shared terms" in reasons
    assert all(not c.likely for c in candidates[1:])


def test_a_different_flaw_of_the_same_package_scores_below_the_likely_threshold(
    libexample_cases: list[Case],
) -> None:
    report = make_report(make_user(), **NEW_FLAW)

    candidates = duplicates.candidates_for(report, min_score=0.0)

    assert {c.case for c in candidates} == set(libexample_cases)
    assert all(c.score < duplicates.LIKELY_THRESHOLD and not c.likely for c in candidates)


def test_no_recency_cap_the_true_case_is_found_among_forty_newer_cases_of_the_package(
    coordinator: Any,
) -> None:
    traversal = _case(coordinator, **OTHER_FLAWS[1])
    Case.objects.filter(pk=traversal.pk).update(updated_at=timezone.now() - timedelta(days=400))
    components = ["tokenizer", "cookie jar", "zip reader", "font loader", "yaml codec"]
    problems = ["crashes on", "leaks memory on", "hangs on", "mis-parses", "rejects", "loops on"]
    problems += ["double-frees on", "truncates"]
    for i in range(40):
        component, problem = components[i % 5], problems[i // 5]
        _case(
            coordinator,
            title=f"libexample {component} {problem} malformed input {i}",
            description=f"The {component} {problem} some malformed input; seen by fuzzer run {i}.",
            vers="vers:pypi/<1.4.0",
            cwe="",
        )
    report = make_report(make_user(), **TRAVERSAL_PARAPHRASE)

    candidates = duplicates.candidates_for(report)

    assert _cases_of(candidates)[0] == traversal and candidates[0].likely


def test_the_cases_text_includes_all_its_reports(coordinator: Any) -> None:
    """A terse founding report, a detailed one merged later: the detail finds the case."""
    case = _case(
        coordinator,
        title="Crash in libexample",
        description="It crashes with a long cookie.",
        vers="",
        cwe="",
    )
    for flaw in OTHER_FLAWS[:3]:
        _case(coordinator, **flaw)
    detailed = make_report(
        make_user(),
        title="Stack exhaustion in libexample",
        description=(
            "decode_cookie() calls itself once per nested bracket of the cookie value; "
            "ten thousand brackets exhaust the interpreter's recursion limit."
        ),
        purl=PURL,
        vers="",
        cwe="",
        cvss_vector="",
    )
    services.merge_report_into_case(detailed, case, coordinator)
    finding = make_report(
        make_user(),
        title="Unbounded recursion in decode_cookie",
        description="Deeply nested brackets in a cookie value make decode_cookie() recurse "
        "until the recursion limit is hit.",
        purl=PURL,
        vers="",
        cwe="CWE-674",
        cvss_vector="",
    )

    best = duplicates.candidates_for(finding)[0]

    assert best.case == case
    assert "decode_cooki" in " ".join(best.reasons) or "recurs" in " ".join(best.reasons)
    document = CaseSearchDocument.objects.get(case=case)
    assert document.is_open
    assert "'bracket'" in str(document.document) and "'crash'" in str(document.document)


def test_the_search_document_follows_edits_of_the_case_and_its_vulnerabilities(
    coordinator: Any,
) -> None:
    case = _case(coordinator, **OVERFLOW)

    def document() -> str:
        return str(CaseSearchDocument.objects.get(case=case).document)

    case = case.update_details(
        coordinator, expected_version=case.version, title=case.title, summary="Seen in zebrafish."
    )
    assert "'zebrafish'" in document()
    vuln = case.vulnerabilities.get()
    services.save_vulnerability(
        case,
        coordinator,
        vulnerability=vuln,
        title=vuln.title,
        description="Triggered through the quokka endpoint.",
        cwe=vuln.cwe,
    )
    assert "'quokka'" in document()
    case.transition("reject", coordinator, reason="Not a vulnerability.")
    assert not CaseSearchDocument.objects.get(case=case).is_open


def test_an_untriaged_report_of_the_same_flaw_is_a_candidate_with_its_reasons() -> None:
    first = make_report(make_user(), **OVERFLOW)
    second = make_report(
        make_user(),
        title="Out-of-bounds write in libexample parse_header",
        description=(
            "A header name longer than 256 bytes is copied into a fixed-size heap buffer "
            "in parse_header(), writing out of bounds."
        ),
        purl="pkg:pypi/libexample@1.3.1",
        vers="vers:pypi/>=1.2|<1.4",
        cwe="CWE-122",
        cvss_vector="",
    )

    candidates = duplicates.candidates_for(second)

    assert [c.report for c in candidates] == [first]
    reasons = " | ".join(candidates[0].reasons)
    assert "same package pkg:pypi/libexample" in reasons
    assert "affected versions overlap" in reasons
    assert "CWE-122" in reasons and "CWE-787" in reasons


def test_a_report_is_never_its_own_candidate_nor_its_own_case(coordinator: Any) -> None:
    case = _case(coordinator, **OVERFLOW)
    assert duplicates.candidates_for(case.reports.get()) == []


def test_closed_cases_are_not_candidates(coordinator: Any) -> None:
    case = _case(coordinator, **OVERFLOW)
    case.transition("reject", coordinator, reason="Out of scope.")
    report = make_report(make_user(), **{**OVERFLOW, "title": OVERFLOW["title"] + " again"})
    assert _cases_of(duplicates.candidates_for(report, min_score=0.0)) == []


def test_project_purls_find_cases_without_affected_packages(
    coordinator: Any, maintainer_org: Any
) -> None:
    project = make_project(maintainer_org, name="zlibby")
    case = make_case(coordinator, project=project, **{**OVERFLOW, "purl": "", "vers": ""})
    report = make_report(make_user(), **{**OVERFLOW, "purl": "pkg:pypi/zlibby@1.0"})
    assert case in _cases_of(duplicates.candidates_for(report))


def test_a_report_without_a_package_is_matched_by_its_text_across_packages(
    libexample_cases: list[Case],
) -> None:
    report = make_report(make_user(), **{**TRAVERSAL_PARAPHRASE, "purl": "", "vers": "", "cwe": ""})
    best = duplicates.candidates_for(report)[0]
    assert best.case == libexample_cases[2]
    assert best.signals.package == "unknown"


def test_a_known_package_keeps_the_search_within_it(libexample_cases: list[Case]) -> None:
    """Same words, another package someone has reported: no candidate from libexample."""
    make_report(make_user(), title="Something in fastparse", purl="pkg:npm/fastparse@2.0.0")
    report = make_report(
        make_user(), **{**TRAVERSAL_PARAPHRASE, "purl": "pkg:npm/fastparse@2.0.1", "vers": ""}
    )
    assert _cases_of(duplicates.candidates_for(report, min_score=0.0)) == []


def test_a_shared_identifier_settles_it(libexample_cases: list[Case], coordinator: Any) -> None:
    case = libexample_cases[4]
    vuln = case.vulnerabilities.get()
    services.save_vulnerability(
        case, coordinator, vulnerability=vuln, title=vuln.title, cve_id="CVE-2026-41234"
    )
    report = make_report(
        make_user(),
        title="Problem reported upstream as CVE-2026-41234",
        description="See the advisory; our scanner flagged the dependency.",
        purl="pkg:pypi/libexample@1.4.0",
        vers="",
        cwe="",
        cvss_vector="",
    )

    best = duplicates.candidates_for(report)[0]

    assert best.case == case and best.score >= duplicates.ALIAS_SCORE
    assert "both name CVE-2026-41234" in best.reasons


def test_an_advisory_id_named_in_a_cases_report_text_settles_it(
    libexample_cases: list[Case], coordinator: Any
) -> None:
    case = _case(
        coordinator,
        **{**OTHER_FLAWS[0], "description": "Upstream tracks it as GHSA-abcd-2345-wxyz."},
    )
    report = make_report(
        make_user(),
        title="Dependency alert for libexample",
        description="Our scanner matched ghsa-abcd-2345-wxyz on the pinned version.",
        purl="pkg:pypi/libexample@1.4.0",
        vers="",
        cwe="",
        cvss_vector="",
    )

    best = duplicates.candidates_for(report)[0]

    assert best.case == case and "both name GHSA-abcd-2345-wxyz" in best.reasons


def test_merging_a_candidate_makes_the_reporter_a_credited_reporter_participant(
    libexample_cases: list[Case], coordinator: Any
) -> None:
    reporter = make_user("second_reporter", first_name="Sec", last_name="Ond")
    report = make_report(reporter, **TRAVERSAL_PARAPHRASE)
    best = duplicates.candidates_for(report)[0]

    services.merge_report_into_case(report, best.case, coordinator)

    report.refresh_from_db()
    traversal = libexample_cases[2]
    assert report.status == ReportStatus.DUPLICATE and report.case == traversal
    assert (
        traversal.participants.active()
        .filter(user=reporter, role=ParticipantRole.REPORTER)
        .exists()
    )
    assert traversal.vulnerabilities.first().credits.filter(user=reporter).exists()
    assert traversal.timeline.filter(action="case.report.merged").exists()


def test_the_same_report_sent_twice_by_the_same_reporter_is_stored_once() -> None:
    reporter = make_user()
    first, created = services.submit_report(reporter=reporter, **OVERFLOW)
    again, created_again = services.submit_report(reporter=reporter, **OVERFLOW)
    assert created and not created_again and first == again
    assert Report.objects.filter(reporter=reporter).count() == 1


def test_the_triage_page_shows_the_calibrated_score_the_label_and_the_reasons(
    client_for: Any, coordinator: Any, libexample_cases: list[Case]
) -> None:
    report = make_report(make_user(), **TRAVERSAL_PARAPHRASE)
    best = duplicates.candidates_for(report)[0]

    page = client_for(coordinator).get(f"/reports/{report.pk}/").content.decode()

    assert f"{best.percent}%" in page and "likely duplicate" in page
    # The reasons in plain words, next to the score (cases.triage.plain_reasons).
    assert "Weakness: CWE-23 is a child of CWE-22." in page
    assert "The texts share distinctive words" in page or "The texts are somewhat alike" in page
    assert page.count(">likely duplicate</span>") == 1


# --------------------------------------------------------------------------- signals


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
    assert duplicate_signals.versions_overlap(a, b) is expected


def test_version_ranges_are_identical_overlapping_or_disjoint() -> None:
    assert duplicate_signals.versions_relation("vers:pypi/<1.4", "vers:pypi/<1.4") == "identical"
    assert duplicate_signals.versions_relation("vers:pypi/<1.4", "vers:pypi/<1.5") == "overlap"
    assert duplicate_signals.versions_relation("vers:pypi/<1.4", "vers:pypi/>=1.4") == "disjoint"
    assert duplicate_signals.versions_relation("vers:pypi/<1.4", "") is None
    # Two scanners that looked at the same release: no evidence of one flaw.
    assert duplicate_signals.versions_relation("vers:pypi/1.3.2", "vers:pypi/1.3.2") == "overlap"


@pytest.mark.parametrize(
    ("a", "b", "kind", "reason"),
    [
        ("CWE-79", "CWE-79", "same", "same weakness CWE-79"),
        ("CWE-79", "CWE-74", "close", "CWE-79 is a child of CWE-74"),
        ("CWE-74", "CWE-80", "close", "CWE-80 is a descendant of CWE-74"),
        ("CWE-122", "CWE-118", "related", "CWE-122 is a descendant of CWE-118"),
        ("CWE-787", "CWE-125", "close", "CWE-787 and CWE-125 are both children of CWE-119"),
        ("CWE-79", "CWE-89", "related", "CWE-79 and CWE-89 are related through CWE-74"),
        ("CWE-79", "CWE-22", "unrelated", "CWE-79 and CWE-22 are unrelated weaknesses"),
    ],
)
def test_cwe_relations_come_from_the_research_view(a: str, b: str, kind: str, reason: str) -> None:
    relation = duplicate_signals.cwe_relation(a, b)
    assert relation is not None and (relation.kind, relation.reason) == (kind, reason)


def test_unknown_cwes_have_no_relation() -> None:
    assert duplicate_signals.cwe_relation("CWE-79", "") is None
    assert duplicate_signals.cwe_relation("CWE-79", "CWE-999999") is None


def test_tfidf_discounts_the_words_every_document_of_the_package_uses() -> None:
    boiler = {"libexample": 3, "server": 2, "attack": 1}
    docs = [
        {**boiler, "cookie": 2, "recursion": 1},
        {**boiler, "header": 2, "overflow": 2},
        {**boiler, "template": 1, "injection": 1},
    ]
    query = {**boiler, "header": 1, "overflow": 1}
    matches = duplicate_signals.tfidf_similarities(query, docs)
    assert max(range(3), key=lambda i: matches[i].similarity) == 1
    assert set(matches[1].shared[:2]) == {"header", "overflow"}
    assert matches[0].similarity < 0.5 < matches[1].similarity


def test_the_calibrated_score_grows_with_the_evidence() -> None:
    def score(**kw: Any) -> float:
        base = {"package": "same", "versions": "overlap", "cwe": None, "text": 0.3, "lead": 0.0}
        return duplicates.calibrated_score(duplicates.Signals(**{**base, **kw}))

    assert score() < score(text=0.6) < score(text=0.6, lead=0.3)
    assert score(versions="identical") > score() > score(versions="disjoint")
    assert score(package="different") < score(package="unknown") < score()
    assert score(cwe=duplicate_signals.cwe_relation("CWE-79", "CWE-22")) < score()
    assert 0.0 < score() < 1.0


# --------------------------------------------------------------------------- evaluation


def test_osv_ranges_become_one_vers_range() -> None:
    def ranges(*events: dict) -> list[dict]:
        return [{"type": "ECOSYSTEM", "events": list(events)}]

    osv = duplicates_eval.osv_vers
    assert osv(ranges({"introduced": "0"}, {"fixed": "3.1.1"}), "pypi") == "vers:pypi/<3.1.1"
    assert osv(ranges({"introduced": "1.9"}, {"fixed": "2.3"}), "pypi") == "vers:pypi/>=1.9|<2.3"
    assert osv(ranges({"introduced": "2.0"}), "pypi") == "vers:pypi/>=2.0"
    both = ranges({"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.1"})
    assert osv(both, "pypi") == "vers:pypi/>=1.0|<1.2|>=2.0|<2.1"
    assert osv([{"type": "GIT", "events": [{"introduced": "abc"}]}], "pypi") == ""


def test_labels_are_stripped_from_the_texts() -> None:
    text = "Fixed in 1.2 (CVE-2026-1234, GHSA-abcd-2345-wxyz, PYSEC-2026-77); see the advisory."
    assert duplicates_eval.strip_labels(text) == "Fixed in 1.2 (, , ); see the advisory."


def _write_set(folder: Path) -> None:
    """Two invented packages, two pairs each, and two other vulnerabilities each."""
    pairs, others = [], []
    for package, flaws in (
        ("libexample", OTHER_FLAWS[:2] + [OTHER_FLAWS[3]]),
        ("fastparse", [OTHER_FLAWS[2], OTHER_FLAWS[4], NEW_FLAW]),
    ):
        ranges = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.4.0"}]}]
        for i, flaw in enumerate(flaws[:2]):
            pairs.append(
                {
                    "package": package,
                    "purl": f"pkg:pypi/{package}",
                    "pysec": {
                        "details": f"{flaw['description']} (CVE-2026-100{i})",
                        "ranges": ranges,
                    },
                    "ghsa": {
                        "summary": flaw["title"],
                        "details": " ".join(reversed(flaw["description"].split(". "))),
                        "cwe_ids": [flaw["cwe"]],
                        "ranges": ranges,
                    },
                }
            )
        others.append({"package": package, "details": flaws[2]["description"], "ranges": ranges})
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(p) for p in pairs))
    (folder / "negatives.jsonl").write_text("\n".join(json.dumps(n) for n in others))


def test_the_evaluation_runs_the_protocol_through_the_services_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    _write_set(tmp_path)
    data = duplicates_eval.load_set(tmp_path)
    assert "CVE-" not in data.pairs[0][0].description

    rows, seconds = duplicates_eval.run_direction(data, "ghsa-as-case")

    assert not Case.objects.exists() and not Report.objects.exists()
    assert len({r.query for r in rows}) == 4 and len(seconds) == 4
    assert {r.package for r in rows} == {"libexample", "fastparse"}
    f = duplicates_eval.figures(rows)
    assert f.findings == 4 and f.recall_at_1 == 1.0
    lines: list[str] = []
    duplicates_eval.report(rows, seconds, lines.append)
    assert any(line.startswith("| leave-one-package-out |") for line in lines)
    assert any(line.startswith("| fastparse | 2 |") for line in lines)


def test_the_fit_learns_that_text_similarity_means_the_same_flaw() -> None:
    def row(text: float, true: bool, package: str) -> duplicates_eval.Scored:
        signals = duplicates.Signals("same", "overlap", None, text=text, lead=0.0)
        return duplicates_eval.Scored("d", package, f"q{text}", "c", true, signals, 0.0)

    rows = [row(t / 20, t >= 12, p) for t in range(20) for p in ("a", "b")]
    rows += [row(0.7, False, "a"), row(0.5, True, "b")]

    coefficients = duplicates_eval.fit(rows, ["intercept", "text"])

    assert coefficients["text"] > 1.0 and coefficients["intercept"] < 0
    assert coefficients["lead"] == 0.0
