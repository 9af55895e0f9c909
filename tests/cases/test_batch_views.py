"""SARIF upload on the web (``/reports/sarif/``) and the page of a batch
(``/reports/batches/<id>/``): per-finding results, progress while it is processed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Report, ReportBatch
from tests import sarif_logs
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

UPLOAD = "/reports/sarif/"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Any:
    cache.clear()
    yield
    cache.clear()


def sarif_file(log: Any, name: str = "scan.sarif") -> SimpleUploadedFile:
    content = log if isinstance(log, bytes) else json.dumps(log).encode()
    return SimpleUploadedFile(name, content, "application/sarif+json")


def upload(client: Any, log: Any, **fields: Any) -> Any:
    return client.post(UPLOAD, {"sarif": sarif_file(log), **fields})


def test_the_intake_page_links_to_the_sarif_upload(client_for: Any, reporter: Any) -> None:
    page = client_for(reporter).get("/reports/new/").content.decode()
    assert f'href="{UPLOAD}"' in page
    form = client_for(reporter).get(UPLOAD)
    assert form.status_code == 200
    assert 'type="file" name="sarif"' in form.content.decode()


def test_uploading_a_log_shows_the_result_of_each_finding(client_for: Any, reporter: Any) -> None:
    client = client_for(reporter)
    response = upload(client, sarif_logs.log(3), vers="vers:pypi/>=1.0|<1.4.2")
    batch = ReportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/batches/{batch.pk}/"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 of 3 findings processed" in html and "data-refresh-seconds" not in html
    assert html.count(">Created<") == 3 and "3 created" in html
    for report in Report.objects.filter(reporter=reporter):
        assert f'href="/reports/{report.pk}/"' in html
        assert report.vers == "vers:pypi/>=1.0|<1.4.2"
    assert "Likely duplicates" not in html
    again = client.get(upload(client, sarif_logs.log(3))["Location"]).content.decode()
    assert "3 already submitted" in again and Report.objects.count() == 3


def test_a_batch_being_processed_refreshes_itself_and_shows_its_progress(
    client_for: Any, reporter: Any, settings: Any
) -> None:
    settings.REPORT_BATCH_INLINE_MAX = 1
    client = client_for(reporter)
    page = client.get(upload(client, sarif_logs.log(4))["Location"]).content.decode()
    assert 'id="batch-status" aria-labelledby="progress-heading" data-refresh-seconds="3"' in page
    assert '<script src="/static/js/batch_progress.js" defer>' in page
    assert '<progress id="batch-progress" max="4" value="0">' in page
    assert "Queued" in page and 'http-equiv="refresh"' not in page


def test_a_log_that_does_not_match_the_schema_is_refused_with_its_path(
    client_for: Any, reporter: Any
) -> None:
    log = sarif_logs.log(5)
    del log["runs"][0]["results"][3]["message"]["text"]
    response = upload(client_for(reporter), log)
    assert response.status_code == 400
    assert "runs/0/results/3/message: &#x27;text&#x27; is a required property" in (
        response.content.decode()
    )
    assert not ReportBatch.objects.exists()


def test_limits_answer_with_the_form_and_the_reason(
    client_for: Any, reporter: Any, settings: Any
) -> None:
    client = client_for(reporter)
    not_json = client.post(UPLOAD, {"sarif": sarif_file(b"<xml/>")})
    assert not_json.status_code == 400 and "The file is not JSON" in not_json.content.decode()
    too_many = upload(client, sarif_logs.log(1001))
    assert too_many.status_code == 422
    assert "1001 findings in one request" in too_many.content.decode()
    settings.SARIF_MAX_BYTES = 100
    too_large = upload(client, sarif_logs.log(1))
    assert too_large.status_code == 413
    assert not ReportBatch.objects.exists()


def test_a_batch_is_the_submitters_and_the_sirts_only(
    client_for: Any, reporter: Any, outsider: Any, maintainer: Any, coordinator: Any
) -> None:
    url = upload(client_for(reporter), sarif_logs.log(1))["Location"]
    assert client_for(coordinator).get(url).status_code == 200
    for other in (outsider, maintainer):
        assert client_for(other).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302  # to sign in


def test_the_sirt_sees_likely_duplicates_the_submitter_does_not(
    client_for: Any, reporter: Any, coordinator: Any, project: Any
) -> None:
    first = sarif_logs.log(1)
    upload(client_for(make_user()), first)  # another reporter's, opened as a case
    known = Report.objects.get()
    case = make_case(
        coordinator,
        project=project,
        title=known.title,
        description=known.description,
        purl=known.purl,
        cwe=known.cwe,
    )
    url = upload(client_for(reporter), first)["Location"]
    mine = client_for(reporter).get(url).content.decode()
    assert case.reference not in mine and "Likely duplicates" not in mine
    sirt = client_for(coordinator).get(url).content.decode()
    assert "Likely duplicates" in sirt and f'href="{case.get_absolute_url()}"' in sirt
