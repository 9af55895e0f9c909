"""The error contract: one JSON shape; 400, 401, 404, 409, 413, 422, 429; tokens that
expire or are revoked stop working at once; Idempotency-Key replays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from cases import tokens
from cases.models import ApiToken, Case, IdempotencyRecord, Report
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

REPORT = {
    "title": "Integer overflow in fastparse length prefix",
    "description": "A 0xffffffff length prefix wraps the allocation size.",
    "purl": "pkg:npm/fastparse@2.0.0",
    "cwe": "CWE-190",
}


def assert_error_shape(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


# --------------------------------------------------------------------------- tokens


def test_a_token_authenticates_until_it_is_revoked_then_401_at_once(partner: Any) -> None:
    token, secret = tokens.create_token(partner, name="scanner", days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get("/api/v1/me/").status_code == 200

    assert tokens.revoke_token(partner, token.pk)

    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert_error_shape(response.json(), "authentication_failed")


def test_a_token_stops_working_the_moment_it_expires(partner: Any) -> None:
    _, secret = tokens.create_token(partner, name="short", days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert client.get("/api/v1/me/").status_code == 401


def test_tokens_are_hashed_at_rest_and_named(partner: Any) -> None:
    token, secret = tokens.create_token(partner, name="ci pipeline", days=7)
    assert secret.startswith("akr_")
    stored = ApiToken.objects.select_related("token").get(pk=token.pk)
    assert stored.name == "ci pipeline"
    assert secret not in (stored.token.digest, stored.token.token_key)
    assert stored.token.token_key == secret[:15]


def test_someone_else_cannot_revoke_my_token(partner: Any, outsider: Any) -> None:
    token, _ = tokens.create_token(partner, name="mine", days=7)
    assert not tokens.revoke_token(outsider, token.pk)
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_garbage_token_is_401_not_500() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token \x00\xff-not-a-token")
    assert client.get("/api/v1/me/").status_code == 401


# --------------------------------------------------------------------------- 400


def test_invalid_input_is_400_with_field_messages(partner: Any) -> None:
    response = token_client(partner).post(
        "/api/v1/reports/",
        {"title": "x", "description": "y", "purl": "pkg:", "vers": ">=1.0", "cvss_vector": "9.8"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "invalid")
    assert set(body["error"]["fields"]) == {"purl", "vers", "cvss_vector"}
    assert not Report.objects.exists()


def test_malformed_json_is_400_not_500(partner: Any) -> None:
    response = token_client(partner).post(
        "/api/v1/reports/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert_error_shape(response.json(), "parse_error")


# --------------------------------------------------------------------------- 409


def test_an_edit_from_a_stale_version_is_409_and_changes_nothing(
    partner_case: Case, maintainer: Any, coordinator: Any
) -> None:
    vuln = partner_case.vulnerabilities.get()
    url = f"/api/v1/cases/{partner_case.reference}/vulnerabilities/{vuln.pk}/"
    first = token_client(coordinator).get(url)
    etag = first["ETag"]
    assert (
        token_client(coordinator)
        .patch(url, {"title": "Edited by the coordinator"}, format="json", HTTP_IF_MATCH=etag)
        .status_code
        == 200
    )

    stale = token_client(maintainer).patch(
        url, {"title": "Edited from an old copy"}, format="json", HTTP_IF_MATCH=etag
    )

    assert stale.status_code == 409
    assert_error_shape(stale.json(), "stale_version")
    vuln.refresh_from_db()
    assert vuln.title == "Edited by the coordinator"


def test_an_edit_without_any_version_is_refused(partner_case: Case, maintainer: Any) -> None:
    vuln = partner_case.vulnerabilities.get()
    response = token_client(maintainer).patch(
        f"/api/v1/cases/{partner_case.reference}/vulnerabilities/{vuln.pk}/",
        {"title": "No version"},
        format="json",
    )
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


# --------------------------------------------------------------------------- 413


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_a_too_large_upload_is_413_and_stores_nothing(partner: Any) -> None:
    big = SimpleUploadedFile("poc.txt", b"A" * 2048, content_type="text/plain")
    response = token_client(partner).post(
        "/api/v1/reports/", {**REPORT, "attachments": [big]}, format="multipart"
    )
    assert response.status_code == 413
    assert_error_shape(response.json(), "too_large")
    assert not Report.objects.exists()


def test_a_report_with_attachments_is_stored_with_them(partner: Any) -> None:
    poc = SimpleUploadedFile("poc.txt", b"crash input\n", content_type="text/plain")
    response = token_client(partner).post(
        "/api/v1/reports/", {**REPORT, "attachments": [poc]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    attachments = response.json()["attachments"]
    assert [a["name"] for a in attachments] == ["poc.txt"]
    assert Report.objects.get().attachments.count() == 1


# --------------------------------------------------------------------------- idempotency


def test_the_same_idempotency_key_and_body_replays_the_first_response(partner: Any) -> None:
    client = token_client(partner)
    first = client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_422(partner: Any) -> None:
    client = token_client(partner)
    client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = client.post(
        "/api/v1/reports/",
        {**REPORT, "title": "Something else"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert other.status_code == 422
    assert_error_shape(other.json(), "idempotency_key_reused")
    assert Report.objects.count() == 1


def test_idempotency_keys_are_per_user(partner: Any, outsider: Any) -> None:
    token_client(partner).post(
        "/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    response = token_client(outsider).post(
        "/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert response.status_code == 201
    assert Report.objects.count() == 2


def test_an_idempotency_key_expires_after_24_hours(partner: Any) -> None:
    client = token_client(partner, days=5)
    client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = client.post(
            "/api/v1/reports/",
            {**REPORT, "title": "A new report"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-3",
        )
    assert response.status_code == 201
    assert IdempotencyRecord.objects.count() == 1


def test_a_failed_request_is_replayed_as_the_same_failure(partner: Any) -> None:
    client = token_client(partner)
    bad = {**REPORT, "cwe": "nonsense"}
    first = client.post("/api/v1/reports/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    again = client.post("/api/v1/reports/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert first.status_code == again.status_code == 400


# --------------------------------------------------------------------------- 429


def test_requests_beyond_the_per_user_rate_are_429_with_retry_after(
    partner: Any, outsider: Any
) -> None:
    rates = {"token": "3/minute", "anon": "3/minute", "report_submit": "3/minute"}
    client = token_client(partner)
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
        throttled = client.get("/api/v1/me/")
        # The budget is the user's: a new token of theirs gets no more; another user's has its own.
        new_token = token_client(partner).get("/api/v1/me/")
        other = token_client(outsider).get("/api/v1/me/")
    assert statuses == [200, 200, 200, 429]
    assert_error_shape(throttled.json(), "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert new_token.status_code == 429
    assert other.status_code == 200


def _rest_framework() -> dict:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


def test_a_server_error_forgets_the_idempotency_key_so_a_retry_goes_through(
    partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cases import services

    real = services.submit_report
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "submit_report", flaky)
    client = token_client(partner)
    client.raise_request_exception = False
    first = client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    retry = client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k-5")

    assert first.status_code == 500
    assert retry.status_code == 201
    assert Report.objects.count() == 1
