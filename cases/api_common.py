"""What every API endpoint shares: the error shape, pagination, throttles, idempotency
and the OpenAPI schema class that documents all of them.

Errors always look like ``{"error": {"code": "...", "message": "...", "fields": {...}}}``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, timedelta
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions, status
from rest_framework import filters as drf_filters
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from cases.models import StaleEdit, TransitionError

# --------------------------------------------------------------------------- errors


class StaleVersion(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = StaleEdit.message
    default_code = "stale_version"


class InvalidState(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This is not possible in the current state."
    default_code = "invalid_state"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request or one of its files is larger than the limit."
    default_code = "too_large"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request body."
    default_code = "idempotency_key_reused"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed."
    default_code = "idempotency_key_in_progress"


class IdempotentReplay(Exception):
    """Not an error: the stored first response to this Idempotency-Key, sent again."""

    def __init__(self, status_code: int, data: Any) -> None:
        super().__init__("replay")
        self.status_code, self.data = status_code, data


# Generic messages: a 404 must read the same for a missing and an invisible object.
NOT_FOUND_MESSAGE = "Not found."


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub.0": ["message"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            out[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(v) for v in detail]
        else:
            for i, value in enumerate(detail):
                out.update(_flatten(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(detail)]
    return out


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Imported here: rest_framework.views reads the settings that name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, IdempotentReplay):
        response = Response(exc.data, status=exc.status_code)
        response["Idempotent-Replayed"] = "true"
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, StaleEdit):
        exc = StaleVersion()
    elif isinstance(exc, TransitionError):
        exc = InvalidState(str(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND_MESSAGE)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        non_field = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, [])
        message = " ".join(non_field) or "The request has invalid fields."
        if non_field and not fields:
            fields = {}
        response.data = error_body("invalid", message, fields)
        return response
    if isinstance(exc, exceptions.NotFound):
        response.data = error_body("not_found", NOT_FOUND_MESSAGE)
        return response
    detail = getattr(exc, "detail", "")
    code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.Throttled):
        code = "throttled"
    response.data = error_body(str(code), str(detail))
    return response


# --------------------------------------------------------------------------- pagination


class StableCursorPagination(CursorPagination):
    """Cursor pages: stable under inserts, cheap at any depth. Newest change first."""

    ordering = ("-updated_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200


# --------------------------------------------------------------------------- throttling


class _DynamicRate(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read at request time, so settings overrides (and tests) take effect at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(_DynamicRate):
    """Per API token; a browser session counts as one token per user."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        token = getattr(request.auth, "digest", None)
        ident = f"t{token[:32]}" if token else f"u{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(_DynamicRate):
    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ReportSubmitThrottle(TokenRateThrottle):
    scope = "report_submit"

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


# --------------------------------------------------------------------------- idempotency

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _request_hash(request: Request) -> str:
    """Hash of what the client sent: fields in order, files by name, size and content."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.get_full_path().encode())
    data = request.data
    if hasattr(data, "lists"):
        plain = {k: v for k, v in data.lists() if k not in request.FILES}
    else:
        plain = data
    digest.update(json.dumps(plain, sort_keys=True, default=str).encode())
    for name in sorted(request.FILES.keys()):
        for upload in request.FILES.getlist(name):
            file_digest = hashlib.sha256()
            for chunk in upload.chunks():
                file_digest.update(chunk)
            upload.seek(0)
            digest.update(f"{name}:{upload.name}:{upload.size}:{file_digest.hexdigest()}".encode())
    return digest.hexdigest()


class IdempotentPostMixin:
    """POST with ``Idempotency-Key``: the same key and body replay the first response,
    the same key with another body is a 422. Keys are per user and kept 24 hours."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency_record = None
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if request.method != "POST" or not key or not request.user.is_authenticated:
            return
        from cases.models import IdempotencyRecord

        if len(key) > 255:
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: ["At most 255 characters."]})
        body_hash = _request_hash(request)
        ttl = timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
        IdempotencyRecord.objects.filter(
            user=request.user, key=key, created_at__lt=timezone.now() - ttl
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    body_hash=body_hash,
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(user=request.user, key=key)
            if record.body_hash != body_hash:
                raise IdempotencyKeyReused() from None
            if record.status_code is None:
                raise IdempotencyKeyInProgress() from None
            raise IdempotentReplay(record.status_code, record.response_body) from None
        self._idempotency_record = record

    def handle_exception(self, exc: Exception) -> Response:
        try:
            return super().handle_exception(exc)  # type: ignore[misc]
        except Exception:
            # A server error: nothing to replay; the client may retry with the same key.
            record = getattr(self, "_idempotency_record", None)
            if record is not None:
                record.delete()
                self._idempotency_record = None
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            if response.status_code >= 500 or response.status_code == 429:
                # A failure the client may retry with the same key: forget it.
                record.delete()
            else:
                record.status_code = response.status_code
                record.response_body = response.data
                record.save(update_fields=["status_code", "response_body"])
            self._idempotency_record = None
        return response


def purge_idempotency_records() -> int:
    from cases.models import IdempotencyRecord

    cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]


# --------------------------------------------------------------------------- authentication


class TokenAuthentication(KnoxTokenAuthentication):
    """knox tokens; a header that is not even text is a 401 like any bad token."""

    def authenticate_credentials(self, token: bytes) -> tuple:
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)


# --------------------------------------------------------------------------- filtering


class SearchFilter(drf_filters.SearchFilter):
    """DRF's search, minus characters PostgreSQL refuses in a string (NUL): a 200, not a 500."""

    def get_search_terms(self, request: Request) -> list[str]:
        return [t.replace("\x00", "") for t in super().get_search_terms(request) if t.strip("\x00")]


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    """``updated_since``: an ISO 8601 moment; any valid offset is taken to UTC first."""

    def __init__(self, field_name: str = "updated_at", **kwargs: Any) -> None:
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault(
            "help_text", "Only rows changed at or after this moment (ISO 8601), for syncing."
        )
        super().__init__(field_name=field_name, **kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        if value is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)


@csrf_exempt  # it changes nothing; a CSRF refusal would be an HTML 403 instead of a 404
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> Any:
    """Unknown paths under /api/v1/ answer in the API's error shape, not the HTML 404."""
    from django.http import JsonResponse

    return JsonResponse(error_body("not_found", NOT_FOUND_MESSAGE), status=404)
