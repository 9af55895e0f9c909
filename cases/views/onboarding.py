"""The SIRT creates and edits organisations and projects, and invites the maintainers
of a project not in the portal yet (``cases.onboarding``). For everyone else these
pages do not exist (404, ``sirt_required``), except the invitation link itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cases import access, onboarding
from cases.accounts.views import accept_invitation_page
from cases.forms_onboarding import OnboardingInviteForm, OrganisationForm, ProjectForm
from cases.models import Organisation, Project, Report
from cases.models.people import OnboardingInvitation
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors, paginate


def _form_page(
    request: HttpRequest, template: str, context: dict[str, Any], form: Any
) -> HttpResponse:
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


# --------------------------------------------------------------------------- organisations


@login_required
@access.sirt_required
@require_http_methods(["GET", "POST"])
def organisation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = onboarding.create_organisation(
                request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{organisation.name} was created. Invite its members here.")
            return redirect("cases:organisation_members", organisation.slug)
    return _form_page(request, "cases/organisation_form.html", {"organisation": None}, form)


@login_required
@access.sirt_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    data = request.POST if request.method == "POST" else None
    form = OrganisationForm.for_organisation(organisation, data)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = onboarding.update_organisation(
                organisation, request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{organisation.name} was saved.")
            return redirect("cases:organisation_members", organisation.slug)
    return _form_page(request, "cases/organisation_form.html", {"organisation": organisation}, form)


# --------------------------------------------------------------------------- projects


@login_required
@access.sirt_required
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    projects = Project.objects.select_related("organisation").order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        projects = projects.filter(name__icontains=query)
    return render(
        request,
        "cases/project_list.html",
        {"page": paginate(request, projects), "q": query},
    )


@login_required
@access.sirt_required
@require_http_methods(["GET", "POST"])
def project_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    report_pk = request.GET.get("report", "")
    if report_pk.isdigit():
        report = access.visible_reports(request.user).filter(pk=int(report_pk)).first()
        if report is not None:
            initial = onboarding.project_prefill(report)
    if slug := request.GET.get("organisation"):
        initial["organisation"] = Organisation.objects.filter(slug=slug).first()
    form = ProjectForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = onboarding.create_project(request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Project {project.name} was created.")
            back = request.POST.get("next_report", "")
            if back.isdigit():  # created from a report's triage: back to it
                return redirect("cases:report_detail", int(back))
            return redirect("cases:project_list")
    return _form_page(
        request,
        "cases/project_form.html",
        {"project": None, "report_pk": report_pk if report_pk.isdigit() else ""},
        form,
    )


@login_required
@access.sirt_required
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project, slug=slug)
    data = request.POST if request.method == "POST" else None
    form = ProjectForm.for_project(project, data)
    if request.method == "POST" and form.is_valid():
        try:
            project = onboarding.update_project(
                project, request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Project {project.name} was saved.")
            return redirect("cases:project_list")
    return _form_page(request, "cases/project_form.html", {"project": project}, form)


# --------------------------------------------------------------------------- invitations


@login_required
@access.sirt_required
@require_http_methods(["GET", "POST"])
def onboarding_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Invite a project's maintainers: their organisation is created on acceptance."""
    report: Report | None = None
    initial: dict[str, Any] = {}
    report_pk = request.GET.get("report") or request.POST.get("report") or ""
    if str(report_pk).isdigit():
        report = access.visible_reports(request.user).filter(pk=int(report_pk)).first()
    if report is not None:
        prefill = onboarding.project_prefill(report)
        initial = {
            "project_name": prefill["name"],
            "organisation_name": f"{prefill['name']} maintainers" if prefill["name"] else "",
            "project_purls": prefill["purls"],
            "project_repository_url": prefill["repository_url"],
        }
    form = OnboardingInviteForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            onboarding.invite_maintainers(
                request.user, report=report, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Invitation sent to {form.cleaned_data['email']}: "
                f"{form.cleaned_data['organisation_name']} is created when they accept.",
            )
            return redirect(report or "cases:onboarding_invitations")
    return _form_page(request, "cases/onboarding_invite.html", {"report": report}, form)


@login_required
@access.sirt_required
def onboarding_invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    recent = OnboardingInvitation.objects.filter(accepted_at__isnull=False).select_related(
        "organisation"
    )[:20]
    return render(
        request,
        "cases/onboarding_invitations.html",
        {"pending": onboarding.pending_invitations(), "recent": recent},
    )


@login_required
@access.sirt_required
@require_POST
def onboarding_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(OnboardingInvitation, pk=pk)
    onboarding.revoke(invitation, request.user, request=request)
    messages.success(request, f"Invitation of {invitation.email} revoked.")
    return redirect("cases:onboarding_invitations")


@require_http_methods(["GET", "POST"])
def onboarding_accept(request: HttpRequest, token: str) -> HttpResponse:
    def accepted(invitation: OnboardingInvitation, user: Any) -> HttpResponse:
        messages.success(
            request,
            f"Welcome: {invitation.organisation_name} is registered and you are its admin.",
        )
        return redirect("cases:home")

    return accept_invitation_page(
        request,
        token,
        find_pending=onboarding.find_pending,
        accept=onboarding.accept,
        template="cases/onboarding_accept.html",
        accepted=accepted,
        refusal_on_form=True,
    )
