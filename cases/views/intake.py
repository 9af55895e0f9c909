"""Report intake on the web (the API has its own endpoint) and API tokens on the profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases import duplicates, services, tokens
from cases.intake import ReportForm, TokenForm
from cases.views._helpers import add_service_errors


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report, created = services.submit_report(
                    reporter=request.user,
                    title=data["title"],
                    description=data["description"],
                    organisation=data["organisation"],
                    purl=data["purl"],
                    vers=data["vers"],
                    cwe=data["cwe"],
                    cvss_vector=data["cvss_vector"],
                    wants_credit=data["wants_credit"],
                    files=data["attachments"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if not created:
                    messages.info(request, "You had already sent this report; it is stored once.")
                else:
                    messages.success(request, f"Thank you: report #{report.pk} was received.")
                notice = duplicates.coordination_notice(report, request.user)
                if notice["already_under_coordination"]:
                    where = f" in case {notice['case']}" if notice["case"] else ""
                    messages.info(
                        request,
                        f"This finding is already under coordination{where}. "
                        "The coordinators will add your report to it.",
                    )
                return redirect(report)
        status = 400
    else:
        form = ReportForm(user=request.user)
        status = 200
    return render(request, "cases/report_form.html", {"form": form}, status=status)


@login_required
@require_POST
@never_cache
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = tokens.create_token(
                request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # The secret is in this one response only; knox keeps just its hash.
            # never_cache keeps it out of every cache (Cache-Control: no-store).
            return render(request, "cases/token_created.html", {"token": token, "secret": secret})
    messages.error(
        request,
        "The token was not created: "
        + " ".join(str(e) for errors in form.errors.values() for e in errors),
    )
    return redirect("cases:profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if tokens.revoke_token(request.user, pk):
        messages.success(request, "The token was revoked; programs using it are refused now.")
    else:
        messages.error(request, "No such token.")
    return redirect("cases:profile")
