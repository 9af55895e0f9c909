"""The web side of intake: the report form, duplicate candidates on the triage page,
intake figures on the dashboard, and API tokens on the profile page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cases.models import ApiToken, Case, Report, ReportStatus
from tests.factories import make_report, make_user

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Out-of-bounds write in libexample parse_header",
    "description": "A long header name is copied into a fixed-size heap buffer.",
    "purl": "pkg:pypi/libexample@1.3.0",
    "vers": "vers:pypi/>=1.2|<1.4",
    "cwe": "122",
    "cvss_vector": "",
    "wants_credit": "on",
}


def test_a_reporter_sends_a_report_through_the_web_form(client_for: Any, outsider: Any) -> None:
    poc = SimpleUploadedFile("poc.txt", b"AAAA\n", content_type="text/plain")
    response = client_for(outsider).post("/reports/new/", {**FORM, "attachments": [poc]})

    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert report.cwe == "CWE-122" and report.package == "pkg:pypi/libexample"
    assert report.attachments.count() == 1


def test_bad_identifiers_are_field_errors_and_nothing_is_stored(
    client_for: Any, outsider: Any
) -> None:
    response = client_for(outsider).post(
        "/reports/new/", {**FORM, "purl": "libexample", "vers": "1.0-1.4", "cwe": "XSS"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"purl", "vers", "cwe"}
    assert not Report.objects.exists()


def test_the_answer_says_received_and_what_happens_next_not_whether_it_is_a_duplicate(
    client_for: Any, case: Case, outsider: Any
) -> None:
    """A duplicate of an open case: still only "received" (tests/cases/test_intake_oracle.py)."""
    client = client_for(outsider)
    response = client.post(
        "/reports/new/", {**FORM, "title": case.title, "cwe": "787"}, follow=True
    )
    text = response.content.decode()
    report = Report.objects.get(reporter=outsider)
    assert f"Thank you: report #{report.pk} was received." in text
    assert "What happens next" in text
    assert "This finding is already under coordination" not in text
    assert case.reference not in text


def test_sending_the_same_report_twice_stores_it_once(client_for: Any, outsider: Any) -> None:
    client = client_for(outsider)
    client.post("/reports/new/", FORM)
    response = client.post("/reports/new/", FORM, follow=True)
    assert Report.objects.count() == 1
    assert "already sent this report" in response.content.decode()


def test_triage_lists_candidates_with_score_reasons_and_merges_after_confirmation(
    client_for: Any, case: Case, coordinator: Any
) -> None:
    second = make_report(
        make_user("scanner_co"), title=case.title + " (scanner)", cwe="CWE-122", cvss_vector=""
    )
    client = client_for(coordinator)
    page = client.get(f"/reports/{second.pk}/").content.decode()
    assert case.reference in page and "Same package (pkg:pypi/libexample" in page
    assert f'value="{case.reference}"' in page  # the candidate's merge form

    asked = client.post(f"/reports/{second.pk}/merge/", {"reference": case.reference})
    assert asked.status_code == 200 and "confirm" in asked.content.decode()
    second.refresh_from_db()
    assert second.status != ReportStatus.DUPLICATE  # nothing merged before confirming

    response = client.post(
        f"/reports/{second.pk}/merge/", {"reference": case.reference, "confirm": "yes"}
    )

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == ReportStatus.DUPLICATE and second.case == case
    assert case.timeline.filter(action="case.report.merged").exists()


def test_the_dashboard_shows_intake_figures(client_for: Any, case: Case, coordinator: Any) -> None:
    from cases import services

    services.merge_report_into_case(make_report(make_user()), case, coordinator)
    page = client_for(coordinator).get("/").content.decode()
    assert "merged as duplicates" in page and "maintainer reading time saved" in page


def test_a_token_is_created_on_the_profile_shown_once_and_revoked(
    client_for: Any, partner: Any
) -> None:
    client = client_for(partner)
    created = client.post("/profile/tokens/", {"name": "scanner", "days": "30"})
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    secret = created.context["secret"]
    assert secret.startswith("akr_") and secret in created.content.decode()
    profile = client.get("/profile/").content.decode()
    assert "scanner" in profile and secret not in profile

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/me/").status_code == 200
    token = ApiToken.objects.get()
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/me/").status_code == 401


def test_one_cannot_revoke_another_users_token(
    client_for: Any, partner: Any, outsider: Any
) -> None:
    from cases.tokens import create_token

    token, _ = create_token(partner, name="mine", days=5)
    client_for(outsider).post(f"/profile/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.filter(pk=token.pk).exists()
