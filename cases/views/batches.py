"""SARIF upload on the web and the page of a batch of findings (``cases.batches``)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cases import access, batches
from cases.api_common import ReportSubmitThrottle
from cases.intake import SarifForm
from cases.models import Case, Report, ReportBatch
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors

# Seconds between updates of a batch's page while it is being processed
# (static/js/batch_progress.js; not a meta refresh, which reloads under a screen reader).
REFRESH_SECONDS = 3


@login_required
@require_http_methods(["GET", "POST"])
def sarif_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, SarifForm(user=request.user))
    form = SarifForm(request.POST, request.FILES, user=request.user)
    # The report submission budget of web and API: one upload is one submission.
    throttle = ReportSubmitThrottle()
    if not throttle.allow_request(request, None):
        minutes = max(1, math.ceil((throttle.wait() or 60) / 60))
        form.add_error(None, f"You have sent the most reports allowed; try again in {minutes} min.")
        return _form_page(request, form, status=429)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    upload = form.cleaned_data["sarif"]
    if upload.size > settings.SARIF_MAX_BYTES:
        form.add_error("sarif", f"The file is larger than {settings.SARIF_MAX_BYTES} bytes.")
        return _form_page(request, form, status=413)
    try:
        log = batches.parse_json(upload.read())
    except (ValueError, UnicodeDecodeError):
        form.add_error("sarif", "The file is not JSON; a SARIF log is a JSON document.")
        return _form_page(request, form, status=400)
    data = form.cleaned_data
    try:
        findings = batches.findings_from_sarif(log, purl=data["purl"], vers=data["vers"])
        batch = batches.submit_batch(
            submitted_by=request.user,
            source=ReportBatch.Source.SARIF,
            findings=findings,
            organisation=data["organisation"],
        )
    except batches.InvalidSarif as exc:
        form.add_error("sarif", [str(exc), *(f"{p}: {m}" for p, m in exc.errors[1:])])
        return _form_page(request, form, status=400)
    except batches.TooManyFindings as exc:
        form.add_error("sarif", str(exc))
        return _form_page(request, form, status=422)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _form_page(request, form, status=400)
    return redirect(batch)


def _form_page(request: HttpRequest, form: SarifForm, status: int = 200) -> HttpResponse:
    return render(request, "cases/sarif_form.html", {"form": form}, status=status)


@login_required
@require_GET
def batch_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        batch = batches.get_batch_for(request.user, pk)
    except ReportBatch.DoesNotExist:
        raise Http404 from None
    is_sirt = access.is_sirt(request.user)
    rows = _rows(batch, with_candidates=is_sirt)
    return render(
        request,
        "cases/batch_detail.html",
        {
            "batch": batch,
            "rows": rows,
            "show_candidates": is_sirt,
            "refresh_seconds": None if batch.is_finished else REFRESH_SECONDS,
        },
    )


def _rows(batch: ReportBatch, *, with_candidates: bool) -> list[dict]:
    """One row per finding processed: its result, its report, and for the SIRT the
    duplicate candidates found while processing (cases and reports in two queries)."""
    results = batch.results
    report_ids = {r["report"] for r in results if r.get("report")}
    reports = Report.objects.in_bulk(report_ids)
    hints: dict[int, list] = {}
    if with_candidates:
        found = {int(k): v for k, v in batch.candidates.items()}
        case_ids = {c[1] for cs in found.values() for c in cs if c[0] == "case"}
        other_ids = {c[1] for cs in found.values() for c in cs if c[0] == "report"}
        cases = Case.objects.in_bulk(case_ids)
        others = Report.objects.in_bulk(other_ids)
        for report_id, candidates in found.items():
            hints[report_id] = [
                {"object": (cases if kind == "case" else others).get(pk), "percent": round(s * 100)}
                for kind, pk, s in candidates
            ]
    return [
        {
            "result": result,
            "report": reports.get(result.get("report")),
            "candidates": hints.get(result.get("report"), []),
        }
        for result in results
    ]
