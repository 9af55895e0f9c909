"""What the embargo and release panels show, gathered in a constant number of queries
(independent of the number of clocks, proposals, projects and organisations).

``build_panels`` fetches the embargo and the release plan with everything they hold,
then fills one part of the page per function below. Every button a part shows is
decided by the predicate of ``disclosure.access`` that the service behind the button
enforces (``can_withdraw_proposal``, ``can_update_project_release``, ...); a part adds
only the state the button needs (an open proposal, a sent pre-notification).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Prefetch
from django.utils import timezone

from cases.access import CaseAccess
from cases.models import Case, Participant
from disclosure import services
from disclosure.access import (
    can_acknowledge_pre_notification,
    can_decide_proposal,
    can_propose_release_target,
    can_report_deployment,
    can_respond_to_proposal,
    can_update_project_release,
    can_withdraw_proposal,
    deployer_organisations,
    reporting_organisations,
    responder_row,
)
from disclosure.forms import (
    BreakForm,
    DeploymentForm,
    GateOverrideForm,
    PreNotificationForm,
    ProjectReleaseForm,
    ProposalForm,
    ReleasePlanForm,
    ReleaseTargetProposalForm,
    StartClockForm,
)
from disclosure.models import (
    Advisory,
    Embargo,
    EmbargoClock,
    EmbargoPolicy,
    EmbargoProposal,
    EmbargoState,
    PreNotification,
    ProjectRelease,
    ProposalResponse,
    ReleasePlan,
    ReleaseStatus,
)


@dataclass
class ProposalView:
    proposal: EmbargoProposal
    responses: list[ProposalResponse]
    exceeds_limit: bool
    my_response: ProposalResponse | None
    can_respond: bool
    can_decide: bool
    can_withdraw: bool
    # For whoever decides (coordinators): who had to agree and who did.
    agreement: services.ProposalAgreement | None = None

    @property
    def needs_override(self) -> bool:
        """Accepting it now takes an override (beyond a maximum, or without agreement)."""
        return self.exceeds_limit or (self.agreement is not None and not self.agreement.is_reached)


@dataclass
class ProjectReleaseView:
    release: ProjectRelease
    can_edit: bool
    form: ProjectReleaseForm | None


@dataclass
class PreNotificationView:
    pre_notification: PreNotification
    can_acknowledge: bool


@dataclass
class Panels:
    case: Case
    access: CaseAccess
    embargo: Embargo | None
    plan: ReleasePlan | None
    # Every deployer organisation of the case with its state (two queries).
    deployments: list[services.DeploymentRow]
    # Coordinators' buttons (start or stop a clock, mark a pre-notification sent, ...):
    # ``manage_case``, the check of the services behind them.
    can_manage: bool = False
    clocks: list[EmbargoClock] = field(default_factory=list)
    governing_clock_id: int | None = None
    limit: Any = None
    proposals: list[ProposalView] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    # The release gate: may the advisory go public (every fix released, or overridden)?
    gate: services.PublicationGate | None = None
    advisory_published: bool = False
    project_releases: list[ProjectReleaseView] = field(default_factory=list)
    pre_notifications: list[PreNotificationView] = field(default_factory=list)
    forms: dict[str, Any] = field(default_factory=dict)

    @property
    def go_no_go(self) -> list[str]:
        """Everything that stands in the way, the release gate's reasons first."""
        items = list(self.gate.blockers) if self.gate else []
        return items + [b for b in self.blockers if b not in items]

    @property
    def deployed(self) -> list[services.DeploymentRow]:
        return [d for d in self.deployments if d.is_done]

    @property
    def not_deployed(self) -> list[services.DeploymentRow]:
        return [d for d in self.deployments if not d.is_done]


def build_panels(case: Case, case_access: CaseAccess) -> Panels:
    plan = _fetch_plan(case)
    panels = Panels(
        case=case,
        access=case_access,
        embargo=_fetch_embargo(case, case_access),
        plan=plan,
        deployments=services.deployment_overview(case, plan),
        can_manage=case_access.can("manage_case"),
    )
    _embargo_panel(panels)
    _proposals(panels)
    _release_plan(panels)
    _project_releases(panels)
    _pre_notifications(panels)
    _deployments(panels)
    return panels


# --------------------------------------------------------------------------- fetching


def _fetch_embargo(case: Case, case_access: CaseAccess) -> Embargo | None:
    """The embargo with its clocks, proposals and the answers this viewer may read."""
    return (
        Embargo.objects.filter(case=case)
        .prefetch_related(
            Prefetch("clocks", queryset=EmbargoClock.objects.select_related("policy")),
            Prefetch(
                "proposals",
                queryset=EmbargoProposal.objects.select_related("proposer", "decided_by"),
            ),
            Prefetch(
                "proposals__responses",
                # Another reporter's answer would name them (cases.access decides).
                queryset=case_access.visible_participant_rows(
                    ProposalResponse.objects.select_related(
                        "participant__organisation", "participant__user", "user"
                    )
                ),
            ),
        )
        .first()
    )


def _fetch_plan(case: Case) -> ReleasePlan | None:
    """The release plan with its project releases and pre-notifications."""
    return (
        ReleasePlan.objects.filter(case=case)
        .select_related("proposed_by")
        .prefetch_related(
            Prefetch(
                "project_releases",
                queryset=ProjectRelease.objects.select_related("project", "updated_by"),
            ),
            Prefetch(
                "pre_notifications",
                queryset=PreNotification.objects.select_related("organisation"),
            ),
        )
        .first()
    )


# --------------------------------------------------------------------------- embargo


def _embargo_panel(panels: Panels) -> None:
    """Clocks, the governing date and the forms that start a clock, propose a date or
    record a break."""
    embargo = panels.embargo
    if embargo is not None:
        panels.clocks = list(embargo.clocks.all())
        governing = embargo.governing_clock()
        panels.governing_clock_id = governing.pk if governing else None
        panels.limit = embargo.limit()
    still_open = embargo is None or embargo.state in (EmbargoState.NONE, EmbargoState.ACTIVE)
    if still_open and panels.access.can("propose_embargo"):
        panels.forms["proposal"] = ProposalForm(auto_id="id_proposal_%s")
    if still_open and panels.can_manage:
        clock_form = StartClockForm(auto_id="id_clock_%s")
        policy = clock_form.fields["policy"]
        assert isinstance(policy, forms.ModelChoiceField)
        policy.queryset = EmbargoPolicy.objects.filter(is_active=True)
        panels.forms["clock"] = clock_form
    if embargo is not None and embargo.is_active and panels.can_manage:
        panels.forms["break"] = BreakForm(auto_id="id_break_%s")


def _proposals(panels: Panels) -> None:
    """Each proposed date with its answers and the buttons this viewer may press."""
    if panels.embargo is None:
        return
    access = panels.access
    participants: list[Participant] | None = None
    if access.can("manage_case") and any(p.is_open for p in panels.embargo.proposals.all()):
        # One query for every open proposal's agreement (coordinators see all rows).
        participants = list(
            panels.case.participants.active().select_related("organisation", "user")
        )
    for proposal in panels.embargo.proposals.all():
        responses = list(proposal.responses.all())
        me = responder_row(access) if responses else None
        is_open = proposal.is_open
        panels.proposals.append(
            ProposalView(
                proposal=proposal,
                responses=responses,
                exceeds_limit=panels.embargo.exceeds_limit(proposal.public_at),
                my_response=next((r for r in responses if me and r.participant_id == me.pk), None),
                can_respond=is_open and can_respond_to_proposal(access, proposal),
                can_decide=is_open and can_decide_proposal(access, proposal),
                can_withdraw=is_open and can_withdraw_proposal(access, proposal),
                agreement=(
                    services.proposal_agreement(proposal, panels.embargo, participants)
                    if is_open and participants is not None
                    else None
                ),
            )
        )


# --------------------------------------------------------------------------- release


def _release_plan(panels: Panels) -> None:
    """The go/no-go (the release gate, then what the plan still lacks), the
    coordinators' target-date form and the release gate's override form."""
    plan = panels.plan
    if plan is not None:
        panels.blockers = plan.blockers(timezone.now())
    panels.gate = services.publication_gate(panels.case, plan)
    panels.advisory_published = Advisory.objects.filter(
        case=panels.case, published_at__isnull=False
    ).exists()
    if (
        panels.can_manage
        and panels.gate.blockers
        and panels.gate.override is None
        and not panels.advisory_published
    ):
        panels.forms["gate_override"] = GateOverrideForm(auto_id="id_gate_%s")
    if panels.can_manage and (plan is None or plan.released_at is None):
        panels.forms["plan"] = ReleasePlanForm(
            auto_id="id_plan_%s",
            initial={
                # A maintainer's proposal prefilled: saving it accepts it.
                "target_at": (plan.proposed_target_at or plan.target_at) if plan else None,
                "version": plan.version if plan else None,
            },
        )
    elif (plan is None or plan.released_at is None) and can_propose_release_target(panels.access):
        panels.forms["target_proposal"] = ReleaseTargetProposalForm(
            auto_id="id_target_%s",
            initial={
                "target_at": plan.proposed_target_at if plan else None,
                "version": plan.version if plan else None,
            },
        )


def _project_releases(panels: Panels) -> None:
    """Each project's fix and release, with a form for whoever may update it."""
    if panels.plan is None:
        return
    for release in panels.plan.project_releases.all():
        can_edit = can_update_project_release(panels.access, release)
        form = None
        if can_edit and release.status != ReleaseStatus.RELEASED:
            form = ProjectReleaseForm(
                auto_id=f"id_pr{release.pk}_%s",
                initial={
                    "fixed_versions": ", ".join(release.fixed_versions),
                    "fix_url": release.fix_url,
                    "status": release.status,
                    "version": release.version,
                },
            )
        panels.project_releases.append(ProjectReleaseView(release, can_edit, form))


def _pre_notifications(panels: Panels) -> None:
    """Who is pre-notified, the acknowledge button of the pre-notified organisation and
    the coordinators' form to list one more deployer."""
    if panels.plan is not None:
        panels.pre_notifications = [
            PreNotificationView(
                pn,
                can_acknowledge=pn.sent_at is not None
                and pn.acknowledged_at is None
                and can_acknowledge_pre_notification(panels.access, pn),
            )
            for pn in panels.plan.pre_notifications.all()
        ]
    if not panels.can_manage or (panels.plan is not None and panels.plan.released_at):
        return
    listed = {view.pre_notification.organisation_id for view in panels.pre_notifications}
    if any(row.organisation.pk not in listed for row in panels.deployments):
        panels.forms["pre_notification"] = PreNotificationForm(
            auto_id="id_pn_%s",
            organisations=deployer_organisations(panels.case).exclude(pk__in=listed),
        )


def _deployments(panels: Panels) -> None:
    """Who has deployed, and the form for the organisations this viewer reports for."""
    access = panels.access
    reportable = [
        row.organisation
        for row in panels.deployments
        if can_report_deployment(access, row.organisation)
    ]
    if reportable:
        form = DeploymentForm(auto_id="id_dep_%s", organisations=reporting_organisations(access))
        if len(reportable) == 1:
            form.fields["organisation"].initial = reportable[0].pk
        panels.forms["deployment"] = form
