"""Batch and SARIF intake in the REST API: ``reports/batch/``, ``reports/sarif/`` and the
status resource ``reports/batches/{id}/``. The work is ``cases.batches``; the SARIF
mapping ``cases.sarif``. One request is one hit on the report-submission throttle,
whatever the number of findings in it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import batches, validators
from cases.api_common import (
    IdempotentPostMixin,
    PayloadTooLarge,
    ReportSubmitThrottle,
    TokenRateThrottle,
)
from cases.models import Organisation, ReportBatch
from cases.types import AuthenticatedRequest

# --------------------------------------------------------------------------- errors


class TooManyFindings(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Too many findings in one request."
    default_code = "too_many_findings"


class SarifJSONParser(JSONParser):
    """The SARIF log's own media type, parsed as JSON."""

    media_type = "application/sarif+json"


# --------------------------------------------------------------------------- serializers


class BatchResultSerializer(serializers.Serializer):
    ref = serializers.CharField(
        help_text="Where the finding was: `findings/3`, or `runs/0/results/3` in a SARIF log."
    )
    status = serializers.ChoiceField(
        choices=[batches.CREATED, batches.ALREADY_SUBMITTED, batches.REJECTED],
        help_text="`created`; `already_submitted` (you had sent this finding before: "
        "nothing new was stored); `rejected` (see `errors`).",
    )
    report = serializers.IntegerField(
        required=False, help_text="Your report's id (created or already submitted)."
    )
    # A declared field: DRF's metaclass takes it off the class, so ``Serializer.errors``
    # (which the stubs see here) stays as it is.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field name -> messages, for a rejected finding.",
    )


class BatchCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField(source="created_count")
    already_submitted = serializers.IntegerField(source="already_submitted_count")
    rejected = serializers.IntegerField(source="rejected_count")


class ReportBatchSerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    progress = serializers.IntegerField(source="percent", help_text="Percent processed.")
    counts = BatchCountsSerializer(source="*")
    results = BatchResultSerializer(
        many=True, help_text="One per finding processed so far, in the order sent."
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReportBatch
        fields = [
            "id",
            "url",
            "source",
            "status",
            "organisation",
            "total",
            "processed",
            "progress",
            "counts",
            "results",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, batch: ReportBatch) -> str:
        return reverse("api:report_batch", args=[batch.pk])


class BatchFindingsRequestSerializer(serializers.Serializer):
    """Documentation of the batch body (each finding is validated on its own)."""

    findings = batches.BatchFindingSerializer(
        many=True,
        help_text="Up to `REPORT_BATCH_MAX_FINDINGS` (1,000) reports, each in the schema of "
        "`POST /api/v1/reports/` (no attachments).",
    )
    organisation = serializers.SlugField(
        required=False,
        help_text="Slug of one of your organisations: findings that name none are sent for "
        "it, and its webhooks hear `report.batch.completed`.",
    )


class SarifUploadSerializer(serializers.Serializer):
    sarif = serializers.FileField(help_text="The SARIF 2.1.0 log (JSON).")
    purl = serializers.CharField(required=False, help_text="Package when the run names none.")
    vers = serializers.CharField(required=False, help_text="Affected versions (vers).")
    organisation = serializers.SlugField(required=False)


SARIF_PARAMETERS = [
    OpenApiParameter(
        "purl",
        str,
        OpenApiParameter.QUERY,
        required=False,
        description="The package (purl) of findings whose run has no `properties.purl`.",
    ),
    OpenApiParameter(
        "vers",
        str,
        OpenApiParameter.QUERY,
        required=False,
        description="Affected versions (vers range) of every finding.",
    ),
    OpenApiParameter(
        "organisation",
        str,
        OpenApiParameter.QUERY,
        required=False,
        description="Slug of one of your organisations to report for.",
    ),
]

ACCEPTED_DESCRIPTION = (
    "Up to `REPORT_BATCH_INLINE_MAX` (50) findings are processed at once: 201 with the "
    "finished batch. A larger batch is queued for the task cluster: 202 with the batch "
    "(`queued`) and `Location`; follow `url` until `status` is `done`."
)
BATCH_RESPONSES = {
    201: OpenApiResponse(ReportBatchSerializer, description="Processed."),
    202: OpenApiResponse(ReportBatchSerializer, description="Accepted; processed in a task."),
}


# --------------------------------------------------------------------------- views


class _BatchSubmitView(IdempotentPostMixin, APIView):
    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    throttle_classes = [TokenRateThrottle, ReportSubmitThrottle]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before anything reads the body: a log over the limit is refused unread.
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.SARIF_MAX_BYTES:
            raise PayloadTooLarge(
                f"The request is larger than the limit of {settings.SARIF_MAX_BYTES} bytes."
            )
        super().initial(request, *args, **kwargs)

    def _submit(
        self,
        request: AuthenticatedRequest,
        source: str,
        findings: list[dict[str, Any]],
        org_slug: str,
    ) -> Response:
        try:
            batch = batches.submit_batch(
                submitted_by=request.user,
                source=source,
                findings=findings,
                organisation=batches.organisation_for(request.user, org_slug),
            )
        except batches.TooManyFindings as exc:
            raise TooManyFindings(str(exc)) from None
        body = ReportBatchSerializer(batch, context={"request": request}).data
        code = status.HTTP_201_CREATED if batch.is_finished else status.HTTP_202_ACCEPTED
        return Response(body, status=code, headers={"Location": body["url"]})


class ReportBatchCreateView(_BatchSubmitView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["reports"],
        summary="Submit many findings at once",
        operation_id="reports_batch_create",
        description=(
            "Up to `REPORT_BATCH_MAX_FINDINGS` (1,000) findings, each in the report schema "
            "of `POST /api/v1/reports/`; more is a 422 (`too_many_findings`), a body over "
            "`SARIF_MAX_BYTES` a 413. Each finding is stored on its own: `created`, "
            "`already_submitted` (you sent the same finding before: sending a batch again "
            "creates nothing new) or `rejected` with field errors; a bad finding never "
            "blocks the others. No answer says whether anyone else reported a finding. "
            + ACCEPTED_DESCRIPTION
            + " The request counts once against the report submission throttle."
        ),
        request=BatchFindingsRequestSerializer,
        responses=BATCH_RESPONSES,
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = request.data
        items = data.get("findings") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise exceptions.ValidationError({"findings": ["Send a list of findings."]})
        org = data.get("organisation") or ""
        if not isinstance(org, str):
            raise exceptions.ValidationError({"organisation": ["Give an organisation's slug."]})
        return self._submit(
            request, ReportBatch.Source.FINDINGS, batches.findings_from_list(items), org
        )


class SarifCreateView(_BatchSubmitView):
    parser_classes = [JSONParser, SarifJSONParser, MultiPartParser]

    @extend_schema(
        tags=["reports"],
        summary="Submit a SARIF 2.1.0 log",
        operation_id="reports_sarif_create",
        description=(
            "The log as the JSON body (parameters in the query string), or as the file "
            "`sarif` of a multipart form (parameters as form fields). It is checked against "
            "the SARIF 2.1.0 schema: a log that does not match is a 400 (`invalid`) whose "
            "message names the first error and whose `fields` map the path of each of the "
            "first errors to its message, e.g. "
            "`runs/0/results/3/message`. Each result becomes a finding: the rule id and the "
            "message, the locations (`file:line`), the tool's name and version, the CWE from "
            "the rule's tags (`CWE-79`, `external/cwe/cwe-079`) or properties, the purl "
            "from the run's `properties.purl` or the `purl` parameter, the `vers` parameter "
            "as affected versions. `partialFingerprints` (or `fingerprints`) identify a "
            "finding: sending a rescan again answers `already_submitted` for what you "
            "already sent. Results of another kind than `fail`/`open`/`review`, or "
            "suppressed, are `rejected` with the reason. More than 1,000 results: 422; a "
            "log over `SARIF_MAX_BYTES`: 413. " + ACCEPTED_DESCRIPTION
        ),
        parameters=SARIF_PARAMETERS,
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": SarifUploadSerializer,
        },
        responses=BATCH_RESPONSES,
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        upload = request.FILES.get("sarif")
        params = request.data if upload is not None else request.query_params
        if upload is not None:
            log = _json_file(upload)
        elif request.content_type.startswith("multipart/"):
            raise exceptions.ValidationError({"sarif": ["Attach the SARIF log as `sarif`."]})
        else:
            log = request.data
        purl, vers = _sarif_parameters(params)
        try:
            findings = batches.findings_from_sarif(log, purl=purl, vers=vers)
        except batches.InvalidSarif as exc:
            # 400 ``invalid``: the first error in the message, the path of each of the
            # first errors in ``fields`` (e.g. ``runs/0/results/3/message``).
            fields = {path: [message] for path, message in exc.errors}
            raise exceptions.ValidationError({"non_field_errors": [str(exc)], **fields}) from None
        except batches.TooManyFindings as exc:
            raise TooManyFindings(str(exc)) from None
        org = params.get("organisation") or ""
        return self._submit(request, ReportBatch.Source.SARIF, findings, org)


def _json_file(upload: Any) -> Any:
    try:
        return batches.parse_json(upload.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise exceptions.ParseError(f"The SARIF file is not JSON: {exc}") from exc


def _sarif_parameters(params: Any) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    values = {}
    for name, normalise in (
        ("purl", validators.normalise_purl),
        ("vers", validators.normalise_vers),
    ):
        try:
            values[name] = normalise(params.get(name) or "")
        except DjangoValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise exceptions.ValidationError(errors)
    return values["purl"], values["vers"]


class ReportBatchDetailView(APIView):
    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        tags=["reports"],
        summary="A batch of findings: progress and results",
        operation_id="reports_batches_retrieve",
        description=(
            "Counts, progress and the result of each finding processed so far. Only the "
            "submitter and the SIRT see a batch; anyone else gets 404."
        ),
        responses=ReportBatchSerializer,
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        try:
            batch = batches.get_batch_for(request.user, pk)
        except ReportBatch.DoesNotExist:
            raise exceptions.NotFound() from None
        return Response(ReportBatchSerializer(batch, context={"request": request}).data)
