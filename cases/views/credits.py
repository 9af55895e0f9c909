"""Credits on vulnerabilities: maintainers and coordinators add and remove them; the
credited person gives or withdraws consent to be named in advisories."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cases import services
from cases.access import get_case_for
from cases.forms import CreditConsentForm, CreditForm
from cases.models import Case, Credit
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors
from cases.views.case_detail import detail_context


def _vulnerabilities_url(case: Case) -> str:
    return f"{case.get_absolute_url()}#vulnerabilities"


@login_required
@require_POST
def credit_add(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference, "edit_vulnerability")
    vulnerability = get_object_or_404(case.vulnerabilities, pk=pk)
    form = CreditForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        try:
            credit = services.add_credit(
                vulnerability,
                request.user,
                name=data["name"],
                kind=data["kind"],
                user=data["user"],
                consented=data["consented"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{credit.name} is credited on “{vulnerability.title}”.")
            return redirect(_vulnerabilities_url(case))
    context = detail_context(request, case, case_access)
    context["credit_form"], context["credit_form_for"] = form, vulnerability.pk
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_POST
def credit_remove(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case, _ = get_case_for(request.user, reference, "edit_vulnerability")
    credit = get_object_or_404(Credit.objects.filter(vulnerability__case=case), pk=pk)
    services.remove_credit(credit, request.user)
    messages.success(request, f"The credit of {credit.name} was removed.")
    return redirect(_vulnerabilities_url(case))


@login_required
@require_POST
def credit_consent(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference)
    # Only one's own credit exists here: anyone else's is a 404, like a missing one.
    credit = get_object_or_404(
        Credit.objects.filter(vulnerability__case=case, user=request.user), pk=pk
    )
    form = CreditConsentForm(request.POST)
    if form.is_valid():
        consented = form.cleaned_data["consent"] == "give"
        services.set_credit_consent(credit, request.user, consented)
        if consented:
            messages.success(request, "Thank you: advisories will name you as credited.")
        else:
            messages.success(request, "Advisories will not name you.")
        return redirect(_vulnerabilities_url(case))
    context = detail_context(request, case, case_access)
    context["consent_form"], context["consent_form_for"] = form, credit.pk
    return render(request, "cases/case_detail.html", context, status=400)
