"""Views of the embargo and release panels, the metrics page and the calendar feed.

Every case view fetches through ``cases.access.get_case_for`` (404 when invisible,
403 when not allowed) and calls one function of ``disclosure.services``. A form
with errors is shown again on a small page of its own, with the errors next to the
fields and a link back to the case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from cases import access
from cases.models import Case, StaleEdit, TransitionError
from cases.services import NoAffectedPackage
from cases.types import AuthenticatedHttpRequest
from disclosure import calendar, metrics, services
from disclosure.access import deployer_organisations, reporting_organisations
from disclosure.forms import (
    AcceptForm,
    AcknowledgeForm,
    BreakForm,
    DeploymentForm,
    GateOverrideForm,
    PreNotificationForm,
    ProjectReleaseForm,
    ProposalForm,
    RejectForm,
    ReleasePlanForm,
    ReleaseTargetProposalForm,
    RespondForm,
    RevokeOverrideForm,
    StartClockForm,
    StopClockForm,
    WithdrawForm,
)
from disclosure.models import (
    EmbargoClock,
    EmbargoProposal,
    PreNotification,
    ProjectRelease,
)

Perform = Callable[[Case, access.CaseAccess, dict[str, Any]], str]


def panel_url(case: Case, anchor: str = "embargo") -> str:
    return f"{reverse('cases:case_detail', args=[case.reference])}#{anchor}"


# The release panel is on the case page and on the release page; its forms posted from
# the release page carry ``from=release`` and lead back there.
FROM_RELEASE_PAGE = "release"


def back_url(request: HttpRequest, case: Case, anchor: str) -> str:
    """Where the user goes after a post: the page the form was on."""
    if request.POST.get("from") == FROM_RELEASE_PAGE:
        return f"{reverse('disclosure:release_overview', args=[case.reference])}#{anchor}"
    return panel_url(case, anchor)


def _add_errors(form: Form, error: ValidationError) -> None:
    """Put service errors next to their fields; unknown field names become form errors."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _handle(
    request: HttpRequest,
    reference: str,
    action: str,
    form_class: type[Form],
    perform: Perform,
    *,
    title: str,
    anchor: str,
    form_kwargs: Callable[[Case, access.CaseAccess], dict[str, Any]] | None = None,
) -> HttpResponse:
    case, case_access = access.get_case_for(request.user, reference, action)
    extra = form_kwargs(case, case_access) if form_kwargs else {}
    bound = form_class(request.POST, **extra)
    if bound.is_valid():
        try:
            message = perform(case, case_access, bound.cleaned_data)
        except ValidationError as e:
            _add_errors(bound, e)
        except (TransitionError, StaleEdit) as e:
            bound.add_error(None, str(e))
        else:
            messages.success(request, message)
            return redirect(back_url(request, case, anchor))
    return render(
        request,
        "disclosure/action_form.html",
        {
            "case": case,
            "form": bound,
            "title": title,
            "back": back_url(request, case, anchor),
            "from_page": FROM_RELEASE_PAGE if request.POST.get("from") == FROM_RELEASE_PAGE else "",
        },
        status=400,
    )


def _proposal(case: Case, pk: int) -> EmbargoProposal:
    return get_object_or_404(
        EmbargoProposal.objects.select_related("embargo__case"), pk=pk, embargo__case=case
    )


# --------------------------------------------------------------------------- embargo


@login_required
@require_POST
def clock_start(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        clock = services.start_clock(
            case,
            request.user,
            policy=data["policy"],
            started_at=data["started_at"],
            started_by=data["started_by"],
            deadline=data["deadline"],
        )
        return f"{clock.policy.name} clock started."

    return _handle(
        request,
        reference,
        "manage_case",
        StartClockForm,
        perform,
        title="Start an embargo clock",
        anchor="embargo",
    )


@login_required
@require_POST
def clock_stop(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        clock = get_object_or_404(EmbargoClock, pk=pk, embargo__case=case)
        services.stop_clock(clock, request.user, reason=data["reason"])
        return "Clock stopped."

    return _handle(
        request,
        reference,
        "manage_case",
        StopClockForm,
        perform,
        title="Stop a clock",
        anchor="embargo",
    )


@login_required
@require_POST
def proposal_create(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.propose_date(
            case, request.user, public_at=data["public_at"], reason=data["reason"]
        )
        return "Date proposed. Participants can now agree or object."

    return _handle(
        request,
        reference,
        "propose_embargo",
        ProposalForm,
        perform,
        title="Propose a public date",
        anchor="embargo",
    )


@login_required
@require_POST
def proposal_respond(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.respond_to_proposal(
            _proposal(case, pk), request.user, stance=data["stance"], comment=data["comment"]
        )
        return "Your answer is recorded."

    return _handle(
        request,
        reference,
        "comment_case",
        RespondForm,
        perform,
        title="Agree or object",
        anchor="embargo",
    )


@login_required
@require_POST
def proposal_accept(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.accept_proposal(
            _proposal(case, pk),
            request.user,
            override=data["override"],
            override_reason=data["override_reason"],
            reason=data["reason"],
        )
        return "Proposal accepted: the public date has changed."

    return _handle(
        request,
        reference,
        "manage_case",
        AcceptForm,
        perform,
        title="Accept a proposed date",
        anchor="embargo",
    )


@login_required
@require_POST
def proposal_reject(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.reject_proposal(_proposal(case, pk), request.user, reason=data["reason"])
        return "Proposal rejected."

    return _handle(
        request,
        reference,
        "manage_case",
        RejectForm,
        perform,
        title="Reject a proposed date",
        anchor="embargo",
    )


@login_required
@require_POST
def proposal_withdraw(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.withdraw_proposal(_proposal(case, pk), request.user)
        return "Proposal withdrawn."

    return _handle(
        request,
        reference,
        "propose_embargo",
        WithdrawForm,
        perform,
        title="Withdraw a proposal",
        anchor="embargo",
    )


@login_required
@require_POST
def embargo_break(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.break_embargo(
            case,
            request.user,
            kind=data["kind"],
            reason=data["reason"],
            grace_hours=data["grace_hours"],
        )
        return "The embargo is recorded as broken; early disclosure starts."

    return _handle(
        request,
        reference,
        "manage_case",
        BreakForm,
        perform,
        title="Record a broken embargo",
        anchor="embargo",
    )


# --------------------------------------------------------------------------- release


@login_required
@require_GET
def release_overview(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """The release plan on a page of its own: go/no-go, projects, pre-notifications."""
    case, case_access = access.get_case_for(request.user, reference, "view_case")
    return render(request, "disclosure/release.html", {"case": case, "access": case_access})


@login_required
@require_POST
def release_plan_save(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.save_release_plan(
            case, request.user, target_at=data["target_at"], expected_version=data["version"]
        )
        return "Release plan saved."

    return _handle(
        request,
        reference,
        "manage_case",
        ReleasePlanForm,
        perform,
        title="Release plan",
        anchor="release",
    )


@login_required
@require_POST
def release_target_propose(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """A maintainer starts the release plan and may propose its target time."""

    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.propose_release_target(
            case, request.user, target_at=data["target_at"], expected_version=data["version"]
        )
        if data["target_at"] is None:
            return "Release plan started: record your project's fix below."
        return "Target release time proposed: a coordinator will set it."

    return _handle(
        request,
        reference,
        "update_release",
        ReleaseTargetProposalForm,
        perform,
        title="Start the release plan",
        anchor="release",
    )


def _affected_package_link(case: Case) -> str:
    """Where to add a project's package: the case's first vulnerability, or a new one."""
    first = case.vulnerabilities.order_by("created_at", "id").values_list("pk", flat=True).first()
    if first is None:
        return reverse("cases:vulnerability_add", args=[case.reference])
    return reverse("cases:vulnerability_edit", args=[case.reference, first]) + "#affected"


@login_required
@require_POST
def project_release_update(
    request: AuthenticatedHttpRequest, reference: str, pk: int
) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        pr = get_object_or_404(
            ProjectRelease.objects.select_related("plan__case", "project"), pk=pk, plan__case=case
        )
        try:
            services.update_project_release(
                pr,
                request.user,
                fixed_versions=data["fixed_versions"],
                fix_url=data["fix_url"],
                status=data["status"],
                expected_version=data["version"],
            )
        except NoAffectedPackage as e:
            # Say where to add one: a vulnerability of the case (its edit page).
            raise ValidationError(
                {
                    "fixed_versions": format_html(
                        '{} <a href="{}">Add the package to a vulnerability</a>.',
                        " ".join(e.messages),
                        _affected_package_link(case),
                    )
                }
            ) from e
        return f"{pr.project.name} release updated."

    return _handle(
        request,
        reference,
        "update_release",
        ProjectReleaseForm,
        perform,
        title="Project release",
        anchor="release",
    )


@login_required
@require_POST
def pre_notification_add(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    def form_kwargs(case: Case, _: access.CaseAccess) -> dict[str, Any]:
        return {"organisations": deployer_organisations(case)}

    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        pn = services.add_pre_notification(
            case, request.user, organisation=data["organisation"], notify_at=data["notify_at"]
        )
        return f"{pn.organisation.name} will be pre-notified."

    return _handle(
        request,
        reference,
        "manage_case",
        PreNotificationForm,
        perform,
        title="Add a pre-notification",
        anchor="release",
        form_kwargs=form_kwargs,
    )


def _pre_notification(case: Case, pk: int) -> PreNotification:
    return get_object_or_404(
        PreNotification.objects.select_related("plan__case", "organisation"),
        pk=pk,
        plan__case=case,
    )


@login_required
@require_POST
def pre_notification_sent(
    request: AuthenticatedHttpRequest, reference: str, pk: int
) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        pn = services.mark_pre_notification_sent(_pre_notification(case, pk), request.user)
        return f"{pn.organisation.name} is recorded as pre-notified."

    return _handle(
        request,
        reference,
        "manage_case",
        AcknowledgeForm,
        perform,
        title="Pre-notification sent",
        anchor="release",
    )


@login_required
@require_POST
def pre_notification_acknowledge(
    request: AuthenticatedHttpRequest, reference: str, pk: int
) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.acknowledge_pre_notification(_pre_notification(case, pk), request.user)
        return "Pre-notification acknowledged."

    return _handle(
        request,
        reference,
        "view_case",
        AcknowledgeForm,
        perform,
        title="Acknowledge the pre-notification",
        anchor="release",
    )


@login_required
@require_POST
def deployment_report(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    def form_kwargs(case: Case, case_access: access.CaseAccess) -> dict[str, Any]:
        return {"organisations": reporting_organisations(case_access)}

    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.report_deployment(
            case,
            request.user,
            organisation=data["organisation"],
            status=data["status"],
            note=data["note"],
        )
        return "Deployment status recorded. Thank you."

    return _handle(
        request,
        reference,
        "report_deployment",
        DeploymentForm,
        perform,
        title="Report deployment",
        anchor="release",
        form_kwargs=form_kwargs,
    )


@login_required
@require_POST
def publication_gate_override(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """A coordinator lets the advisory go public before every fix is released."""

    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.override_publication_gate(case, request.user, reason=data["reason"])
        return "Release gate overridden: the advisory may now be published. Participants are told."

    return _handle(
        request,
        reference,
        "manage_case",
        GateOverrideForm,
        perform,
        title="Override the release gate",
        anchor="go-no-go",
    )


@login_required
@require_POST
def publication_gate_revoke(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, _: access.CaseAccess, data: dict[str, Any]) -> str:
        services.revoke_publication_override(case, request.user)
        return "Override revoked: the advisory waits for the fix to be released again."

    return _handle(
        request,
        reference,
        "manage_case",
        RevokeOverrideForm,
        perform,
        title="Revoke the release gate override",
        anchor="go-no-go",
    )


# --------------------------------------------------------------------------- metrics


@login_required
@require_GET
@access.sirt_required
def metrics_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Across-case timing for the SIRT only; anyone else gets a 404 like a missing page."""
    charts = [(m, metrics.chart_bars(m)) for m in metrics.all_metrics()]
    return render(request, "disclosure/metrics.html", {"charts": charts})


# --------------------------------------------------------------------------- calendar


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed; an unknown or revoked token is a 404 (no hint which)."""
    user = services.user_for_calendar_token(token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar.build_feed(user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def calendar_token_regenerate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new feed address, shown once on this response; the old one stops working."""
    token = services.regenerate_calendar_token(request.user)
    url = request.build_absolute_uri(reverse("disclosure:calendar_feed", args=[token]))
    return render(request, "disclosure/calendar_token.html", {"feed_url": url})


@login_required
@require_POST
def calendar_token_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    if services.revoke_calendar_token(request.user):
        messages.success(request, "Your calendar feed address no longer works.")
    return redirect(f"{reverse('cases:profile')}#calendar")
