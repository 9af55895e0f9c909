"""Reports: the SIRT triage queue and page; a reporter's view of their own reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases import access, audit, onboarding, services, triage
from cases.forms import MergeReportForm, OpenCaseForm, RejectReportForm, ReportFilterForm
from cases.models import Case, Report, ReportStatus, TransitionError
from cases.types import AuthenticatedHttpRequest, User
from cases.views._helpers import add_service_errors, paginate, private_file_response


def _report_for(user: User, pk: int, *, triage_action: bool = False) -> Report:
    """A report the user may see (404 otherwise); 403 for a triage action by a non-SIRT."""
    report = get_object_or_404(
        access.visible_reports(user).select_related("reporter", "reporter_organisation", "case"),
        pk=pk,
    )
    if triage_action:
        access.require_triage(user)
    return report


@login_required
@require_GET
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    is_sirt = access.is_sirt(user)
    data = request.GET.copy()
    if "status" not in data:
        # The SIRT starts at the triage queue; a reporter at all of their reports.
        data["status"] = ReportStatus.NEW if is_sirt else "all"
    form = ReportFilterForm(data)
    form.is_valid()
    status = form.cleaned_data.get("status") or "all"
    reports = access.visible_reports(user).select_related("reporter", "reporter_organisation")
    if status and status != "all":
        reports = reports.filter(status=status)
    page = paginate(request, reports)
    # Which linked cases the viewer can open: one query for the whole page.
    case_ids = {r.case_id for r in page.object_list if r.case_id}
    visible_case_ids = set(
        Case.objects.visible_to(user).filter(pk__in=case_ids).values_list("pk", flat=True)
    )
    cases = {c.pk: c for c in Case.objects.filter(pk__in=visible_case_ids)}
    rows = [(r, cases.get(r.case_id)) for r in page.object_list]
    return render(
        request,
        "cases/report_list.html",
        {"form": form, "page": page, "rows": rows, "status": status, "is_sirt": is_sirt},
    )


def _render_report(
    request: AuthenticatedHttpRequest, report: Report, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"report": report, "attachments": report.attachments.all()}
    if access.can_triage(user):
        context["triage"] = report.status == ReportStatus.NEW
        context["candidates"] = triage.explained_candidates(report)
        context["merge"] = services.live_merge(report)
        # Onboarding (cases/onboarding.py): the projects the report's purl names are
        # pre-selected; a purl no project lists offers to create it or invite them.
        matching = list(onboarding.projects_matching(report.purl))
        context["onboard_offer"] = bool(report.purl) and not matching
        context["open_form"] = forms.get("open_form") or OpenCaseForm(
            initial={"title": report.title, "projects": matching}
        )
        context["merge_form"] = forms.get("merge_form") or MergeReportForm(user=user)
        context["reject_form"] = forms.get("reject_form") or RejectReportForm()
        context["case"] = report.case
    else:
        context["next_steps"] = services.RECEIVED_NEXT_STEPS
        # The reporter learns the case reference only while they can see the case.
        context["case"] = (
            Case.objects.visible_to(user).filter(pk=report.case_id).first()
            if report.case_id
            else None
        )
    return render(request, "cases/report_detail.html", context, status=status)


@login_required
@require_GET
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_report(request, _report_for(request.user, pk))


@login_required
@require_GET
def report_attachment_download(
    request: AuthenticatedHttpRequest, pk: int, attachment_pk: int
) -> FileResponse:
    report = _report_for(request.user, pk)
    attachment = get_object_or_404(report.attachments.all(), pk=attachment_pk)
    audit.record("attachment.downloaded", request=request, obj=attachment, report=report.pk)
    return private_file_response(attachment)


@login_required
@require_POST
def report_open_case(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request.user, pk, triage_action=True)
    form = OpenCaseForm(request.POST)
    if form.is_valid():
        try:
            case = services.open_case_from_report(
                report,
                request.user,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                projects=form.cleaned_data["projects"],
            )
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(report)
        messages.success(request, f"Case {case.reference} was opened from report #{report.pk}.")
        return redirect(case)
    return _render_report(request, report, status=400, open_form=form)


@login_required
@require_POST
def report_merge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Two steps: the reference (from the form or a candidate's button) answers with a
    page that says what the merge does; that page's button posts ``confirm=yes``."""
    report = _report_for(request.user, pk, triage_action=True)
    form = MergeReportForm(request.POST, user=request.user)
    if form.is_valid():
        case = form.cleaned_data["reference"]
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "cases/report_merge_confirm.html",
                {"report": report, "case": case, "candidate": _candidate(report, case)},
            )
        try:
            services.merge_report_into_case(report, case, request.user)
        except TransitionError as exc:
            form.add_error("reference", str(exc))
        else:
            messages.success(
                request,
                f"Report #{report.pk} was attached to {case.reference} as a duplicate. "
                "Its page can undo the merge.",
            )
            return redirect(case)
    return _render_report(request, report, status=400, merge_form=form)


def _candidate(report: Report, case: Case) -> triage.Explained | None:
    """The case as a duplicate candidate of the report, with its score and reasons."""
    for candidate in triage.explained_candidates(report):
        if candidate.case is not None and candidate.case.pk == case.pk:
            return candidate
    return None


@login_required
@require_POST
def report_unmerge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request.user, pk, triage_action=True)
    try:
        services.undo_report_merge(report, request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The merge was undone: report #{report.pk} is back in triage.")
    return redirect(report)


@login_required
@require_POST
def report_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request.user, pk, triage_action=True)
    form = RejectReportForm(request.POST)
    if form.is_valid():
        try:
            services.reject_report(report, request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(report)
        else:
            messages.success(request, f"Report #{report.pk} was rejected.")
            return redirect("cases:report_list")
    return _render_report(request, report, status=400, reject_form=form)
