"""Reviewing titles copied from a report: until reviewed (or rewritten), only those who
may read the report see them; everyone else reads a neutral placeholder (cases.access)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from cases import services
from cases.access import get_case_for, require
from cases.types import AuthenticatedHttpRequest


@login_required
@require_POST
def wording_reviewed(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """``target=case`` (the case title, coordinators) or ``target=vulnerability`` with
    ``vulnerability=<id>`` (maintainers and coordinators)."""
    case, case_access = get_case_for(request.user, reference, "edit_vulnerability")
    target = request.POST.get("target", "")
    if target == "case":
        require(case_access, "manage_case")
        services.mark_wording_reviewed(case, request.user)
        messages.success(request, "Every participant now reads the case title as it is.")
        return redirect(case)
    if target == "vulnerability":
        pk = request.POST.get("vulnerability", "")
        vulnerability = get_object_or_404(case.vulnerabilities, pk=int(pk) if pk.isdigit() else 0)
        services.mark_wording_reviewed(case, request.user, vulnerability=vulnerability)
        messages.success(request, "Every participant now reads this vulnerability's title.")
        return redirect(f"{case.get_absolute_url()}#vuln-{vulnerability.pk}")
    messages.error(request, "Choose the title you reviewed.")
    return redirect(case)
