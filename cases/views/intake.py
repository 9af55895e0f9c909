"""Report intake on the web (the API has its own endpoint) and API tokens on the profile."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases import services, tokens, upload_stash
from cases.api_common import ReportSubmitThrottle
from cases.intake import ReportForm, TokenForm
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Files kept from an attempt sent back with errors (cases/upload_stash.py).
        upload_stash.remove(request, request.POST.getlist("remove_kept"))
        kept = upload_stash.kept(request)
        new_files = request.FILES.getlist("attachments")
        form = ReportForm(request.POST, request.FILES, user=request.user)
        # The API's throttle, rate and counter: one budget per user for web and API.
        throttle = ReportSubmitThrottle()
        if not throttle.allow_request(request, None):
            problems = upload_stash.keep(request, new_files, already=len(kept))
            return _too_many_reports(request, form, throttle.wait(), problems)
        if form.is_valid() and len(kept) + len(form.cleaned_data["attachments"]) > 10:
            form.add_error("attachments", "At most 10 files, those kept included.")
        if form.is_valid():
            data = form.cleaned_data
            kept_files = upload_stash.open_files(kept)
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
                    files=[*kept_files, *data["attachments"]],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                upload_stash.discard_kept(request)
                # The same answer whatever else is reported or under coordination.
                if not created:
                    messages.info(request, "You had already sent this report; it is stored once.")
                else:
                    messages.success(
                        request,
                        f"Thank you: report #{report.pk} was received. "
                        f"{services.RECEIVED_NEXT_STEPS}",
                    )
                return redirect(report)
            finally:
                upload_stash.close(kept_files)
        files = new_files if len(new_files) <= upload_stash.MAX_FILES else []
        for problem in upload_stash.keep(request, files, already=len(kept)):
            form.add_error("attachments", problem)
        status = 400
    else:
        form = ReportForm(user=request.user)
        status = 200
    return render(
        request,
        "cases/report_form.html",
        {"form": form, "kept": upload_stash.kept(request)},
        status=status,
    )


def _too_many_reports(
    request: HttpRequest, form: ReportForm, wait: float | None, problems: list[str]
) -> HttpResponse:
    """429: the form again with the input and the acceptable files kept."""
    minutes = max(1, math.ceil((wait or 60) / 60))
    form.add_error(
        None,
        f"You have sent the most reports allowed in this period. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}; your input and files are kept.",
    )
    for problem in problems:
        form.add_error("attachments", problem)
    response = render(
        request,
        "cases/report_form.html",
        {"form": form, "kept": upload_stash.kept(request)},
        status=429,
    )
    if wait:
        response["Retry-After"] = str(math.ceil(wait))
    return response


@login_required
@require_POST
@never_cache
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if tokens.revoke_token(request.user, pk):
        messages.success(request, "The token was revoked; programs using it are refused now.")
    else:
        messages.error(request, "No such token.")
    return redirect("cases:profile")
