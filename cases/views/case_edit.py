"""Coordinator and maintainer edits: details, transitions, participants, vulnerabilities."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cases import services
from cases.access import get_case_for
from cases.forms import (
    CaseDetailsForm,
    DuplicateCaseForm,
    ParticipantForm,
    TransitionForm,
    VulnerabilityForm,
    affected_formset,
)
from cases.models import TRANSITION_LABELS, TRANSITIONS, StaleEdit, TransitionError
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors
from cases.views.case_detail import detail_context

# A stale edit answers 409 Conflict, with the user's input kept in the form.
CONFLICT = 409


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, _ = get_case_for(request.user, reference, "manage_case")
    status = 200
    if request.method == "POST":
        form = CaseDetailsForm(request.POST)
        if form.is_valid():
            try:
                services.edit_case_details(
                    case,
                    request.user,
                    expected_version=form.cleaned_data["version"],
                    title=form.cleaned_data["title"],
                    summary=form.cleaned_data["summary"],
                )
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                status = CONFLICT
            else:
                messages.success(request, f"{case.reference} was updated.")
                return redirect(case)
        else:
            status = 400
    else:
        form = CaseDetailsForm(
            initial={"title": case.title, "summary": case.summary, "version": case.version}
        )
    return render(request, "cases/case_edit.html", {"case": case, "form": form}, status=status)


@login_required
@require_POST
def case_transition(request: AuthenticatedHttpRequest, reference: str, name: str) -> HttpResponse:
    case, _ = get_case_for(request.user, reference, "manage_case")
    if name not in TRANSITIONS:
        raise Http404("No such transition.")
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        case = services.transition_case(case, request.user, name, reason=reason)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{case.reference}: {TRANSITION_LABELS[name]} — now {case.get_state_display()}.",
        )
    return redirect(case)


@login_required
@require_POST
def case_mark_duplicate(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference, "manage_case")
    form = DuplicateCaseForm(request.POST, user=request.user, case=case)
    if form.is_valid():
        of = form.cleaned_data["reference"]
        try:
            services.mark_case_duplicate(case, of, request.user)
        except TransitionError as exc:
            form.add_error("reference", str(exc))
        else:
            messages.success(request, f"{case.reference} was merged into {of.reference}.")
            return redirect(of)
    context = detail_context(request, case, case_access, duplicate_form=form)
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def participant_add(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, _ = get_case_for(request.user, reference, "manage_case")
    status = 200
    if request.method == "POST":
        form = ParticipantForm(request.POST)
        if form.is_valid():
            try:
                participant = services.add_participant(
                    case,
                    request.user,
                    role=form.cleaned_data["role"],
                    organisation=form.cleaned_data["organisation"],
                    user=form.cleaned_data["user"],
                    override_reason=form.override_reason_or_none(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except IntegrityError:
                # Two coordinators adding the same participant at once: the constraint wins.
                form.add_error(None, "Already a participant in this role.")
            else:
                messages.success(
                    request,
                    f"{participant.display_name} was added as {participant.get_role_display()}.",
                )
                return redirect(f"{case.get_absolute_url()}#participants")
        status = 400
    else:
        form = ParticipantForm()
    return render(
        request, "cases/participant_form.html", {"case": case, "form": form}, status=status
    )


@login_required
@require_POST
def participant_remove(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case, _ = get_case_for(request.user, reference, "manage_case")
    participant = get_object_or_404(
        case.participants.active().select_related("organisation", "user"), pk=pk
    )
    services.remove_participant(participant, request.user)
    messages.success(request, f"{participant.display_name} no longer takes part in the case.")
    return redirect(f"{case.get_absolute_url()}#participants")


def _save_vulnerability(
    request: AuthenticatedHttpRequest, reference: str, pk: int | None = None
) -> HttpResponse:
    case, _ = get_case_for(request.user, reference, "edit_vulnerability")
    vulnerability = get_object_or_404(case.vulnerabilities, pk=pk) if pk is not None else None
    status = 200
    if request.method == "POST":
        # "Add a row" (works without JavaScript): the same page, nothing saved, with
        # what was typed and one more empty row.
        add_row = "add_row" in request.POST
        form = VulnerabilityForm(
            initial=request.POST.dict() if add_row else None,
            data=None if add_row else request.POST,
        )
        rows = affected_formset(request.POST, add_row=add_row)
        if vulnerability is not None:
            form.fields["version"].required = True
        if add_row:
            status = 200  # nothing to correct: the page again, one row longer
        elif form.is_valid() and rows.is_valid():
            data = form.cleaned_data
            try:
                vulnerability = services.save_vulnerability(
                    case,
                    request.user,
                    vulnerability=vulnerability,
                    expected_version=data["version"] if vulnerability is not None else None,
                    title=data["title"],
                    description=data["description"],
                    cwe=data["cwe"],
                    cvss3_vector=data["cvss3_vector"],
                    cvss4_vector=data["cvss4_vector"],
                    cve_id=data["cve_id"],
                    affected=rows.rows,
                )
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                if not rows.add_service_errors(exc):
                    add_service_errors(form, exc)
                status = 400
            except IntegrityError:
                form.add_error("cve_id", "This CVE id is already used by another vulnerability.")
                status = 400
            else:
                messages.success(request, f"Vulnerability “{vulnerability.title}” was saved.")
                return redirect(f"{case.get_absolute_url()}#vulnerabilities")
        else:
            status = 400
    elif vulnerability is not None:
        form = VulnerabilityForm(
            initial={
                "title": vulnerability.title,
                "description": vulnerability.description,
                "cwe": vulnerability.cwe,
                "cvss3_vector": vulnerability.cvss3_vector,
                "cvss4_vector": vulnerability.cvss4_vector,
                "cve_id": vulnerability.cve_id,
                "version": vulnerability.version,
            }
        )
        rows = affected_formset(vulnerability=vulnerability)
    else:
        form = VulnerabilityForm()
        rows = affected_formset()
    return render(
        request,
        "cases/vulnerability_form.html",
        {"case": case, "form": form, "rows": rows, "vulnerability": vulnerability},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def vulnerability_add(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _save_vulnerability(request, reference)


@login_required
@require_http_methods(["GET", "POST"])
def vulnerability_edit(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    return _save_vulnerability(request, reference, pk)
