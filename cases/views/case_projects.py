"""Coordinators add and remove the projects of a case after triage."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cases import services
from cases.access import get_case_for
from cases.forms import CaseProjectForm
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors
from cases.views.case_detail import detail_context


@login_required
@require_POST
def case_project_add(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference, "manage_case")
    form = CaseProjectForm(request.POST, case=case)
    if form.is_valid():
        project = form.cleaned_data["project"]
        try:
            services.add_project(case, request.user, project)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{project.name} was added to {case.reference}.")
            return redirect(case)
    context = detail_context(request, case, case_access)
    context["project_form"] = form
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_POST
def case_project_remove(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case, _ = get_case_for(request.user, reference, "manage_case")
    project = get_object_or_404(case.projects, pk=pk)
    try:
        services.remove_project(case, request.user, project)
    except ValidationError as exc:
        # Removed by another coordinator between the page and the click.
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{project.name} is no longer a project of {case.reference}.")
    return redirect(case)
