"""OpenAPI schema details shared by every endpoint: error responses, common headers."""

from __future__ import annotations

from typing import Literal

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from cases.api_common import IDEMPOTENCY_HEADER
from cases.serializers import ErrorSerializer

# --------------------------------------------------------------------------- schema

CASE_REFERENCE_PARAMETER = OpenApiParameter(
    "case_reference",
    str,
    OpenApiParameter.PATH,
    description="Case reference, e.g. AKR-2026-0042.",
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (e.g. a UUID). Sending the same key and body again within 24 "
        "hours replays the first response; the same key with another body is a 422. "
        "After a failure (a 5xx, a dropped connection) retry with the same key: the "
        "write is then done once, or its committed answer replayed."
    ),
)
IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag you read (e.g. "3"); a stale one is refused with 409.',
)

READ_ERRORS = ("400", "401", "403", "404", "429", "503")
WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "422", "429", "503")
ERROR_DESCRIPTIONS = {
    "400": "Invalid input; `fields` names each invalid field.",
    "401": "Not authenticated, or the token is invalid, expired or revoked.",
    "403": "You can see this object but may not do this.",
    "404": "No such object, or one you may not see.",
    "409": (
        "Edited since you read it (stale version), or not possible in its state, or "
        "this Idempotency-Key is held by a request still running (retry after "
        "`Retry-After` seconds)."
    ),
    "413": "The request or an uploaded file is larger than the limit.",
    "422": "This Idempotency-Key was used before with a different body.",
    "429": "Too many requests for this token; retry after `Retry-After` seconds.",
    "503": (
        "The database is unreachable for a moment; retry after `Retry-After` seconds "
        "(a POST with the same Idempotency-Key)."
    ),
}


class AkritesAutoSchema(AutoSchema):
    """Documents the shared error responses and headers on every operation."""

    def get_override_parameters(self) -> list:
        params = list(super().get_override_parameters())
        if "{case_reference}" in self.path:
            params.append(CASE_REFERENCE_PARAMETER)
        if self.method == "POST":
            params.append(IDEMPOTENCY_PARAMETER)
        return params

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        codes = READ_ERRORS if self.method in ("GET", "HEAD") else WRITE_ERRORS
        for code in codes:
            if code in responses:
                continue
            response = self._get_response_for_code(ErrorSerializer, code)
            response["description"] = ERROR_DESCRIPTIONS[code]
            responses[code] = response
        return responses


class AkritesTokenScheme(KnoxTokenScheme):
    """Documents our knox subclass the way drf-spectacular documents knox itself."""

    target_class = "cases.api_common.TokenAuthentication"
    name = "tokenAuth"
