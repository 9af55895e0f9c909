"""What every API endpoint shares: the error shape, pagination, throttles, idempotency
and the OpenAPI schema class that documents all of them.

Errors always look like ``{"error": {"code": "...", "message": "...", "fields": {...}}}``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

import django_filters
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions, serializers, status
from rest_framework import filters as drf_filters
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from cases.models import IdempotencyRecord, StaleEdit, TransitionError
from cases.ratelimit import SharedWindowThrottle
from cases.types import User

logger = logging.getLogger(__name__)

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

    def __init__(self, wait: float = 1) -> None:
        super().__init__()
        self.wait = max(1, round(wait))  # DRF's handler sends it as Retry-After


# Seconds a client is asked to wait while the database is unreachable.
UNAVAILABLE_RETRY_AFTER_SECONDS = 30


class ServiceUnavailable(exceptions.APIException):
    """The database cannot be reached (or dropped the connection): nothing was changed
    that the client cannot retry; the same request later, with the same
    ``Idempotency-Key``, acts at most once."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable. Retry after Retry-After seconds."
    default_code = "unavailable"
    wait = UNAVAILABLE_RETRY_AFTER_SECONDS


class IdempotentReplay(Exception):
    """Not an error: the stored first response to this Idempotency-Key, sent again."""

    def __init__(self, status_code: int, data: Any) -> None:
        super().__init__("replay")
        self.status_code, self.data = status_code, data


# Generic messages: a 404 must read the same for a missing and an invisible object.
NOT_FOUND_MESSAGE = "Not found."


def building_schema(view: Any) -> bool:
    """True while drf-spectacular builds the schema (no real request user): a view's
    ``get_queryset`` then answers an empty queryset of its model."""
    return getattr(view, "swagger_fake_view", False)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub[0].name": ["message"]}: list items by
    their index in brackets, as a JSON path names them."""
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
                out.update(_flatten(value, f"{prefix}[{i}]" if prefix else f"[{i}]"))
    else:
        out[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(detail)]
    return out


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Imported here: rest_framework.views reads the settings that name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, IdempotentReplay):
        replay = Response(exc.data, status=exc.status_code)
        replay["Idempotent-Replayed"] = "true"
        return replay
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
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.warning("Database unavailable: %s", type(exc).__name__)
        exc = ServiceUnavailable()
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


class StrictCharField(serializers.CharField):
    """Text, and only text: DRF's own CharField takes ``42`` as ``"42"``, so a client
    sending the wrong type never hears of it."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --------------------------------------------------------------------------- pagination


class StableCursorPagination(CursorPagination):
    """Cursor pages: stable under inserts, cheap at any depth. Newest change first."""

    ordering = ("-updated_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        # DRF falls back to the default for anything unreadable (``page_size=null``);
        # a client that asked for a size it does not get should hear so. Above the
        # maximum the page is capped, as documented.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


# --------------------------------------------------------------------------- throttling


class _DynamicRate(SharedWindowThrottle):
    def get_rate(self) -> str | None:
        # Read at request time, so settings overrides (and tests) take effect at once.
        # (The stubs type the rates as numbers; DRF's are strings such as "120/min".)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) if self.scope else None
        return None if rate is None else str(rate)


class TokenRateThrottle(_DynamicRate):
    """Per user, not per token: all of a user's tokens and their browser session share
    one budget, so creating more tokens never buys more requests."""

    scope = "token"

    def get_cache_key(self, request: Request | HttpRequest, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"u{request.user.pk}"}


class AnonymousRateThrottle(_DynamicRate):
    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ReportSubmitThrottle(TokenRateThrottle):
    """Report submissions per user, one counter for the API and the web form
    (``cases.views.intake.report_new`` asks this class too)."""

    scope = "report_submit"

    def allow_request(self, request: Request | HttpRequest, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


# --------------------------------------------------------------------------- idempotency

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _request_hash(request: Request) -> str:
    """Hash of what the client sent: fields in order, files by name, size and content."""
    digest = hashlib.sha256()
    digest.update((request.method or "").encode())
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


def _replayable(status_code: int) -> bool:
    """An answer the same key gets again; a server error or a 429 may be retried."""
    return status_code < 500 and status_code != status.HTTP_429_TOO_MANY_REQUESTS


@dataclass
class _Claim:
    """This request's hold on an Idempotency-Key marker."""

    pk: int
    lease: uuid.UUID
    done: bool = False


def _claim_key(user: User, key: str, path: str, body_hash: str) -> _Claim:
    """Hold the key for this request, or raise: replay, 422 (other body), 409 (held).

    A marker is held while a request runs with it (its row is locked, see
    ``_run_recorded``) or until its lease runs out. A marker that is neither belongs
    to a request that died before its write committed (the answer commits with the
    write): this request takes it over and performs the write.
    """
    now = timezone.now()
    lease = uuid.uuid4()
    locked_until = now + timedelta(seconds=settings.API_IDEMPOTENCY_LEASE_SECONDS)
    ttl = timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=now - ttl).delete()
    record: IdempotencyRecord | None
    for _ in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    method="POST",
                    path=path[:500],
                    body_hash=body_hash,
                    lease=lease,
                    locked_until=locked_until,
                )
            return _Claim(record.pk, lease)
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:  # released by a failed request meanwhile: claim it anew
            continue
        if record.body_hash != body_hash:
            raise IdempotencyKeyReused()
        if record.status_code is not None:
            raise IdempotentReplay(record.status_code, record.response_body)
        if record.locked_until is not None and record.locked_until > now:
            raise IdempotencyKeyInProgress((record.locked_until - now).total_seconds())
        with transaction.atomic():
            # skip_locked: a request still running with this key holds the row.
            abandoned = (
                IdempotencyRecord.objects.select_for_update(skip_locked=True)
                .filter(pk=record.pk, status_code__isnull=True, locked_until__lte=now)
                .first()
            )
            if abandoned is not None:
                abandoned.lease, abandoned.locked_until = lease, locked_until
                abandoned.save(update_fields=["lease", "locked_until"])
                return _Claim(abandoned.pk, lease)
    raise IdempotencyKeyInProgress(settings.API_IDEMPOTENCY_LEASE_SECONDS)


# The mixin goes before a DRF view in the bases: type-checked as one, an object at run
# time.
if TYPE_CHECKING:
    # Not at run time: rest_framework.views reads the settings that name this module.
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object


class IdempotentPostMixin(_ViewBase):
    """POST with ``Idempotency-Key``: the same key and body replay the first response,
    the same key with another body is a 422. Keys are per user and kept 24 hours.

    The stored answer and the write cannot disagree. The request commits an
    in-progress marker with a short lease (``API_IDEMPOTENCY_LEASE_SECONDS``), then
    runs its action in one transaction that locks the marker and writes the answer
    into it: both commit, or neither. So after any crash (the process killed, the
    database gone mid-request) a retry with the same key either replays the
    committed answer or, once the lease has run out, performs the write, once.
    While a request holds the key, the same key answers 409 with ``Retry-After``.
    """

    # The view's POST handler (the view defines it); ``initial`` wraps it.
    post: Callable[..., Response]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._idempotency: _Claim | None = None
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if request.method != "POST" or not key or not request.user.is_authenticated:
            return
        if len(key) > 255:
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: ["At most 255 characters."]})
        self._idempotency = _claim_key(request.user, key, request.path, _request_hash(request))
        # DRF calls the handler right after initial(): this one runs it recorded.
        self.post = self._run_recorded(self.post)

    def _run_recorded(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        claim = self._idempotency
        assert claim is not None

        def run(request: Request, *args: Any, **kwargs: Any) -> Response:
            with transaction.atomic():
                record = (
                    IdempotencyRecord.objects.select_for_update()
                    .filter(pk=claim.pk, lease=claim.lease, status_code__isnull=True)
                    .first()
                )
                if record is None:  # stalled past the lease and a retry took over
                    raise IdempotencyKeyInProgress(settings.API_IDEMPOTENCY_LEASE_SECONDS)
                response = handler(request, *args, **kwargs)
                if _replayable(response.status_code):
                    record.status_code, record.response_body = response.status_code, response.data
                    record.lease = record.locked_until = None
                    record.save(
                        update_fields=["status_code", "response_body", "lease", "locked_until"]
                    )
                    claim.done = True
            if getattr(settings, "TEST_EXIT_AFTER_IDEMPOTENT_COMMIT", False):
                os._exit(3)  # tests only (akrites/settings_test.py): a crash after the commit
            return response

        return run

    def handle_exception(self, exc: Exception) -> Response:
        try:
            return super().handle_exception(exc)
        except Exception:
            self._settle(None)  # a server error: the client may retry with the same key
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        self._settle(response)
        return response

    def _settle(self, response: Response | None) -> None:
        """After an answer that did not commit with a write: keep a client error for
        replay (the action raised and wrote nothing), forget a server error or a 429.
        Best effort: while the database is away the lease runs out instead."""
        claim, self._idempotency = getattr(self, "_idempotency", None), None
        if claim is None or claim.done:
            return
        held = IdempotencyRecord.objects.filter(
            pk=claim.pk, lease=claim.lease, status_code__isnull=True
        )
        try:
            if response is not None and _replayable(response.status_code):
                held.update(
                    status_code=response.status_code,
                    response_body=response.data,
                    lease=None,
                    locked_until=None,
                )
            else:
                held.delete()
        except DatabaseError:
            logger.warning("Could not settle Idempotency-Key record %s", claim.pk)


def purge_idempotency_records() -> int:
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


class _PresentMeansGiven(django_filters.fields.IsoDateTimeField):
    """Absent is no filter; present but empty (``updated_since=``) is an error, not a
    silent "everything" (a sync client with a lost timestamp would re-read it all)."""

    def clean(self, value: Any) -> Any:
        if value is not None and not str(value).strip():
            raise DjangoValidationError(
                "Give a moment in ISO 8601 (e.g. 2026-11-25T12:00:00Z), or leave it out.",
                code="required",
            )
        return super().clean(value)


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    """``updated_since``: an ISO 8601 moment; any valid offset is taken to UTC first."""

    field_class = _PresentMeansGiven

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
