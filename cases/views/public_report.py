"""The public "Report a vulnerability" page, its confirmation link, and security.txt.

No sign-in: ``cases.public_intake`` holds the report until the address is confirmed.
Every accepted submission (new address, known address, duplicate finding, filled
honeypot) is answered by the same redirect to the same page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cases import public_intake, services, upload_stash
from cases.forms_onboarding import ConfirmAccountForm, PublicReportForm
from cases.views._helpers import add_service_errors

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _page(
    request: HttpRequest, form: PublicReportForm, *, status: int = 200, problems: Sequence[str] = ()
) -> HttpResponse:
    for problem in problems:
        form.add_error("attachments", problem)
    return render(
        request,
        "cases/public_report_form.html",
        {"form": form, "kept": upload_stash.kept(request)},
        status=status,
    )


def _retry_after(response: HttpResponse, wait: float | None) -> HttpResponse:
    if wait:
        response["Retry-After"] = str(math.ceil(wait))
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def public_report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, PublicReportForm())
    upload_stash.remove(request, request.POST.getlist("remove_kept"))
    form = PublicReportForm(request.POST, request.FILES)
    new_files = request.FILES.getlist("attachments")
    allowed, wait = public_intake.allow_ip(request)
    if not allowed:
        problems = upload_stash.keep(request, new_files, already=len(upload_stash.kept(request)))
        form.is_valid()
        form.add_error(None, _too_many(wait))
        return _retry_after(_page(request, form, status=429, problems=problems), wait)
    if form.is_valid():
        data = form.cleaned_data
        if form.is_bot:
            # Nothing stored, nothing sent: the answer of every accepted submission.
            return redirect("cases:public_report_sent")
        allowed, wait = public_intake.allow_address(request, data["email"])
        if not allowed:
            problems = upload_stash.keep(
                request, new_files, already=len(upload_stash.kept(request))
            )
            form.add_error(None, _too_many(wait))
            return _retry_after(_page(request, form, status=429, problems=problems), wait)
        try:
            public_intake.hold_report(
                email=data["email"],
                title=data["title"],
                description=data["description"],
                purl=data["purl"],
                vers=data["vers"],
                cwe=data["cwe"],
                cvss_vector=data["cvss_vector"],
                wants_credit=data["wants_credit"],
                files=data["attachments"],
                kept=upload_stash.kept(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("cases:public_report_sent")
    already = len(upload_stash.kept(request))
    problems = upload_stash.keep(request, _acceptable(form, new_files), already=already)
    return _page(request, form, status=400, problems=problems)


def _acceptable(form: PublicReportForm, files: list) -> list:
    """The files to keep for the retry (none when the files themselves were refused
    for their number; each is checked again by ``upload_stash.keep``)."""
    return [] if len(files) > upload_stash.MAX_FILES else files


def _too_many(wait: float | None) -> str:
    minutes = max(1, math.ceil((wait or 60) / 60))
    return (
        f"Too many reports were sent from here or for this address. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}; your input and files are kept."
    )


@require_GET
def public_report_sent(request: HttpRequest) -> HttpResponse:
    hours = max(1, settings.PUBLIC_REPORT_CONFIRM_MAX_AGE // 3600)
    return render(request, "cases/public_report_sent.html", {"hours": hours})


@never_cache
@require_http_methods(["GET", "POST"])
def public_report_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what confirming does (a mail scanner following the link confirms
    nothing); POST confirms, with a username and password for a new account if given."""
    held = public_intake.find_pending(token)
    if held is None:
        return render(request, "cases/public_report_invalid.html", status=404)
    has_account = public_intake.account_for(held.email) is not None
    form = ConfirmAccountForm(held.email, request.POST if request.method == "POST" else None)
    if request.method == "POST" and (has_account or form.is_valid()):
        data = form.cleaned_data if not has_account else {}
        try:
            confirmed = public_intake.confirm(
                token,
                username=data.get("username", ""),
                password=data.get("password1", ""),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            received = (
                f"Thank you: report #{confirmed.report.pk} was received. "
                f"{services.RECEIVED_NEXT_STEPS}"
            )
            user = confirmed.user
            if confirmed.new_account and user.has_usable_password():
                # Their own new account, just given its password on this page.
                login(request, user, backend=BACKEND)
                messages.success(request, received)
                return redirect(confirmed.report)
            return render(
                request,
                "cases/public_report_confirmed.html",
                {
                    "received": received,
                    "has_account": not confirmed.new_account,
                    "username": user.get_username(),
                },
            )
    return render(
        request,
        "cases/public_report_confirm.html",
        {
            "held": held,
            "form": form,
            "has_account": has_account,
            "suggested": public_intake.suggested_username(held.email),
            "files": held.uploads.all(),
        },
        status=400 if form.errors else 200,
    )


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116: Contact, Expires (computed, in the future), Policy, Preferred-Languages,
    Canonical; from settings. Unsigned (an OpenPGP clear-signed copy can come later)."""
    expires = (timezone.now() + timedelta(days=settings.SECURITY_TXT_DAYS)).replace(
        minute=0, second=0, microsecond=0
    )
    canonical = settings.SITE_URL + reverse("security_txt")
    lines = [f"Contact: {contact}" for contact in settings.SECURITY_TXT_CONTACT]
    lines.append(f"Expires: {expires.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}")
    if settings.SECURITY_TXT_POLICY:
        lines.append(f"Policy: {settings.SECURITY_TXT_POLICY}")
    if settings.SECURITY_TXT_LANGUAGES:
        lines.append(f"Preferred-Languages: {settings.SECURITY_TXT_LANGUAGES}")
    lines.append(f"Canonical: {canonical}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
