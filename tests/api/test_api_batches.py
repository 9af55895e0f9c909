"""Batch and SARIF intake through the API (``reports/batch/``, ``reports/sarif/``,
``reports/batches/{id}/``), on PostgreSQL: idempotency, partial failure, limits,
permissions, the task path (django-q2 in sync mode here; a real cluster in
tests/cases/test_batch_cluster.py) and the completion notice."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_q.conf import Conf
from rest_framework.settings import api_settings

from cases.models import Organisation, Report, ReportBatch
from disclosure.notifications.models import Channel, Notification, WebhookSubscription
from tests import sarif_logs
from tests.api.conftest import token_client
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/reports/batch/"
SARIF = "/api/v1/reports/sarif/"


def finding(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "title": f"Heap overflow in header parser, variant {i}",
        "description": f"parse_header() overflows a 256-byte buffer (variant {i}).",
        "purl": "pkg:pypi/libexample@1.3.0",
        "vers": "vers:pypi/>=1.0|<1.4.2",
        "cwe": "CWE-787",
        **fields,
    }


def post_batch(client: Any, findings: list[Any], **extra: Any) -> Any:
    return client.post(BATCH, {"findings": findings, **extra}, format="json")


def post_sarif(client: Any, log: Any, query: str = "") -> Any:
    return client.post(
        SARIF + (f"?{query}" if query else ""),
        data=json.dumps(log),
        content_type="application/json",
    )


# --------------------------------------------------------------------------- list of findings


def test_a_small_batch_is_processed_at_once_each_finding_a_report(partner: Any) -> None:
    response = post_batch(token_client(partner), [finding(i) for i in range(3)])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/reports/batches/{body['id']}/" == body["url"]
    assert body["status"] == "done" and body["progress"] == 100
    assert body["counts"] == {"created": 3, "already_submitted": 0, "rejected": 0}
    refs = [r["ref"] for r in body["results"]]
    assert refs == ["findings/0", "findings/1", "findings/2"]
    reports = Report.objects.filter(reporter=partner).order_by("pk")
    assert [r["report"] for r in body["results"]] == [r.pk for r in reports]
    assert reports[0].package == "pkg:pypi/libexample" and reports[0].cwe == "CWE-787"
    # The stored findings are not kept once the reports hold them.
    assert ReportBatch.objects.get(pk=body["id"]).findings == []


def test_sending_a_batch_again_creates_nothing_and_says_already_submitted(partner: Any) -> None:
    client = token_client(partner)
    first = post_batch(client, [finding(i) for i in range(4)]).json()
    again = post_batch(client, [finding(i) for i in range(4)])
    assert again.status_code == 201
    body = again.json()
    assert body["counts"] == {"created": 0, "already_submitted": 4, "rejected": 0}
    assert {r["status"] for r in body["results"]} == {"already_submitted"}
    assert [r["report"] for r in body["results"]] == [r["report"] for r in first["results"]]
    assert Report.objects.filter(reporter=partner).count() == 4


def test_a_bad_finding_is_rejected_with_field_errors_and_the_good_ones_are_stored(
    partner: Any,
) -> None:
    findings = [
        finding(0),
        finding(1, purl="not a purl"),
        {"description": "no title"},
        "not an object",
        finding(4, cwe="CWE-0", vers="1.0"),
        finding(5),
    ]
    body = post_batch(token_client(partner), findings).json()
    assert body["counts"] == {"created": 2, "already_submitted": 0, "rejected": 4}
    results = body["results"]
    assert [r["status"] for r in results] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "created",
    ]
    assert set(results[1]["errors"]) == {"purl"}
    assert results[2]["errors"] == {"title": ["This field is required."]}
    assert "non_field_errors" in results[3]["errors"]
    assert set(results[4]["errors"]) == {"cwe", "vers"}
    assert "report" not in results[1]
    # Nothing half-saved: only the two good findings are reports.
    assert Report.objects.filter(reporter=partner).count() == 2


def test_a_finding_another_reporter_sent_is_created_for_me_and_nothing_says_so(
    partner: Any, outsider: Any
) -> None:
    post_batch(token_client(outsider), [finding(0)])
    body = post_batch(token_client(partner), [finding(0)]).json()
    assert body["results"][0]["status"] == "created"
    text = json.dumps(body)
    assert outsider.username not in text and "candidates" not in text


def test_findings_are_sent_for_the_batch_organisation_unless_they_name_their_own(
    partner: Any, partner_org: Organisation, maintainer_org: Organisation
) -> None:
    client = token_client(partner)
    body = post_batch(client, [finding(0)], organisation=partner_org.slug).json()
    assert body["organisation"] == partner_org.slug
    assert Report.objects.get(pk=body["results"][0]["report"]).reporter_organisation == partner_org
    refused = post_batch(client, [finding(1)], organisation=maintainer_org.slug)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "organisation": ["You are not a member of this organisation."]
    }
    own = post_batch(client, [finding(2, organisation=maintainer_org.slug)]).json()
    assert own["results"][0]["errors"] == {
        "organisation": ["You are not a member of this organisation."]
    }


@pytest.mark.parametrize("body", [{}, {"findings": "x"}, {"findings": []}, []])
def test_a_body_without_a_list_of_findings_is_400(partner: Any, body: Any) -> None:
    response = token_client(partner).post(BATCH, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "findings" in response.json()["error"]["fields"]
    assert not ReportBatch.objects.exists()


def test_more_than_1000_findings_is_422_and_stores_nothing(partner: Any) -> None:
    response = post_batch(token_client(partner), [finding(0)] * 1001)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "too_many_findings"
    assert error["message"] == (
        "1001 findings in one request; at most 1000 are taken. Split the batch."
    )
    assert not ReportBatch.objects.exists() and not Report.objects.exists()


def test_a_body_over_the_size_limit_is_413(partner: Any, settings: Any) -> None:
    settings.SARIF_MAX_BYTES = 2000
    response = post_batch(token_client(partner), [finding(i) for i in range(20)])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    response = post_sarif(token_client(partner), sarif_logs.log(20))
    assert response.status_code == 413
    assert not ReportBatch.objects.exists()


def test_one_batch_is_one_hit_on_the_report_submission_throttle(
    partner: Any, settings: Any
) -> None:
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "report_submit": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api_settings.reload()
    try:
        client = token_client(partner)
        assert post_batch(client, [finding(i) for i in range(10)]).status_code == 201
        assert post_sarif(client, sarif_logs.log(10)).status_code == 201
        third = post_batch(client, [finding(99)])
        assert third.status_code == 429 and third.json()["error"]["code"] == "throttled"
    finally:
        api_settings.reload()


# --------------------------------------------------------------------------- SARIF


def test_a_sarif_log_becomes_reports_and_a_rescan_is_already_submitted(partner: Any) -> None:
    client = token_client(partner)
    response = post_sarif(client, sarif_logs.log(3), "vers=vers:pypi/>=1.0|<1.4.2")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == "sarif"
    assert [r["ref"] for r in body["results"]] == [f"runs/0/results/{i}" for i in range(3)]
    report = Report.objects.get(pk=body["results"][0]["report"])
    assert report.title.startswith("py/sql-injection: This query depends on")
    assert report.cwe == "CWE-89" and report.package == "pkg:pypi/libexample"
    assert report.vers == "vers:pypi/>=1.0|<1.4.2"
    assert "`src/libexample/module0.py:40`" in report.description
    # The next scan of a later version, reworded: the same fingerprints, nothing new.
    rescan = sarif_logs.log(3, purl="pkg:pypi/libexample@1.3.0", version="2.16.0")
    rescan["runs"][0]["results"][0]["message"]["text"] = "Reworded."
    again = post_sarif(client, rescan).json()
    assert again["counts"] == {"created": 0, "already_submitted": 3, "rejected": 0}
    assert Report.objects.filter(reporter=partner).count() == 3


def test_a_sarif_file_can_be_uploaded_as_a_form_with_its_parameters(partner: Any) -> None:
    upload = SimpleUploadedFile(
        "scan.sarif", json.dumps(sarif_logs.log(2, purl=None)).encode(), "application/json"
    )
    response = token_client(partner).post(
        SARIF, {"sarif": upload, "purl": "pkg:npm/fastparse@2.0.0"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert set(Report.objects.values_list("purl", flat=True)) == {"pkg:npm/fastparse@2.0.0"}


def test_the_sarif_media_type_is_taken(partner: Any) -> None:
    response = token_client(partner).post(
        SARIF, data=json.dumps(sarif_logs.log(1)), content_type="application/sarif+json"
    )
    assert response.status_code == 201


def test_a_malformed_log_is_400_with_the_schema_path_of_the_first_errors(partner: Any) -> None:
    log = sarif_logs.log(5)
    del log["runs"][0]["results"][3]["message"]["text"]
    response = post_sarif(token_client(partner), log)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == (
        "The log does not match the SARIF 2.1.0 schema: "
        "runs/0/results/3/message: 'text' is a required property"
    )
    assert error["fields"] == {"runs/0/results/3/message": ["'text' is a required property"]}
    assert not ReportBatch.objects.exists()


def test_a_log_that_is_not_json_is_a_parse_error(partner: Any) -> None:
    response = token_client(partner).post(SARIF, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_bad_purl_parameter_is_a_field_error(partner: Any) -> None:
    response = post_sarif(token_client(partner), sarif_logs.log(1), "purl=nope")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"purl"}


def test_a_log_of_more_than_1000_results_is_422(partner: Any) -> None:
    response = post_sarif(token_client(partner), sarif_logs.log(1001))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_many_findings"


def test_a_result_with_an_invalid_run_purl_is_rejected_the_others_stored(partner: Any) -> None:
    log = sarif_logs.log(2)
    log["runs"][0]["results"][1]["properties"] = {"purl": "not a purl"}
    body = post_sarif(token_client(partner), log).json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    assert set(body["results"][1]["errors"]) == {"purl"}


# --------------------------------------------------------------------------- task path


@pytest.fixture
def inline_max(settings: Any) -> int:
    settings.REPORT_BATCH_INLINE_MAX = 2
    return 2


def test_a_large_batch_is_accepted_with_202_and_queued(partner: Any, inline_max: int) -> None:
    response = post_batch(token_client(partner), [finding(i) for i in range(5)])
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["processed"] == 0 and body["results"] == []
    assert not Report.objects.exists()
    status = token_client(partner).get(response["Location"])
    assert status.status_code == 200 and status.json()["total"] == 5


def test_a_queued_batch_is_processed_by_its_task(
    partner: Any, inline_max: int, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the task in this process
    findings = [finding(i) for i in range(5)] + [finding(5, purl="bad")]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_batch(token_client(partner), findings)
    assert response.status_code == 202
    body = token_client(partner).get(response["Location"]).json()
    assert body["status"] == "done" and body["progress"] == 100
    assert body["counts"] == {"created": 5, "already_submitted": 0, "rejected": 1}
    assert len(body["results"]) == 6 and body["finished_at"]


def test_a_failed_task_leaves_its_batch_failed_not_processing(partner: Any) -> None:
    from cases import tasks

    batch = ReportBatch.objects.create(submitted_by=partner, source="findings", total=3)

    class FailedTask:
        success = False
        args = (batch.pk,)

    tasks.report_batch_task_done(FailedTask())
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.finished_at is not None


# --------------------------------------------------------------------------- who sees a batch


def test_only_the_submitter_and_the_sirt_see_a_batch(
    partner: Any, outsider: Any, coordinator: Any, maintainer: Any
) -> None:
    url = post_batch(token_client(partner), [finding(0)])["Location"]
    assert token_client(partner).get(url).status_code == 200
    assert token_client(coordinator).get(url).status_code == 200
    for other in (outsider, maintainer):
        response = token_client(other).get(url)
        assert response.status_code == 404
        assert response.json() == token_client(other).get("/api/v1/reports/batches/999999/").json()


def test_anonymous_callers_are_401_everywhere(partner: Any) -> None:
    url = post_batch(token_client(partner), [finding(0)])["Location"]
    anonymous = token_client(None)
    assert anonymous.get(url).status_code == 401
    assert post_batch(anonymous, [finding(1)]).status_code == 401
    assert post_sarif(anonymous, sarif_logs.log(1)).status_code == 401


# --------------------------------------------------------------------------- notifications


def test_the_submitter_and_their_organisation_webhook_hear_that_the_batch_is_done(
    partner: Any, partner_org: Organisation, coordinator: Any
) -> None:
    hook = WebhookSubscription.objects.create(
        organisation=partner_org, url="https://hooks.example.org/akrites"
    )
    body = post_batch(token_client(partner), [finding(0)], organisation=partner_org.slug).json()
    done = Notification.objects.filter(kind="report.batch.completed")
    assert {(n.recipient_id, n.subscription_id) for n in done} >= {
        (partner.pk, None),
        (None, hook.pk),
    }
    assert {n.recipient_id for n in done if n.recipient_id} == {partner.pk}
    assert all(n.data == {"batch_id": body["id"]} and n.case_id is None for n in done)
    # The SIRT hears of the batch once, not of each finding.
    received = Notification.objects.filter(kind="report.batch.received", channel=Channel.IN_APP)
    assert [n.recipient_id for n in received] == [coordinator.pk]
    assert not Notification.objects.filter(kind="report.received").exists()


# --------------------------------------------------------------------------- candidates


def test_duplicate_candidates_are_kept_for_the_sirt_only(
    partner: Any, coordinator: Any, project: Any
) -> None:
    case = make_case(coordinator, project=project, reporter=make_user(), **finding(0))
    body = post_batch(token_client(partner), [finding(0)]).json()
    report_id = body["results"][0]["report"]
    batch = ReportBatch.objects.get(pk=body["id"])
    assert batch.candidates[str(report_id)][0][:2] == ["case", case.pk]
    # Never in the API, for the submitter or anyone.
    for user in (partner, coordinator):
        answer = token_client(user).get(body["url"]).json()
        assert "candidates" not in answer and case.reference not in json.dumps(answer)


def test_characters_postgresql_cannot_store_reject_that_finding_only(partner: Any) -> None:
    body = (
        '{"findings": ['
        '{"title": "nul \\u0000 here", "description": "x"},'
        '{"title": "lone \\udaf0 surrogate", "description": "x"},'
        '{"title": "fine", "description": "x", "\\u0000": "an unknown key is ignored"}]}'
    )
    response = token_client(partner).post(BATCH, data=body, content_type="application/json")
    assert response.status_code == 201, response.content
    results = response.json()["results"]
    assert results[0]["errors"] == {"title": ["Null characters are not allowed."]}
    assert results[1]["errors"] == {"title": ["Surrogate characters are not allowed: U+DAF0."]}
    assert results[2]["status"] == "created"


def test_a_sarif_file_with_nan_is_not_json(partner: Any) -> None:
    log = json.dumps(sarif_logs.log(1)).replace('"startLine": 40', '"startLine": NaN')
    upload = SimpleUploadedFile("scan.sarif", log.encode(), "application/json")
    response = token_client(partner).post(SARIF, {"sarif": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
