"""What the embargo and release panels show, gathered in a constant number of queries
(independent of the number of clocks, proposals, projects and organisations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Prefetch
from django.utils import timezone

from cases.access import CaseAccess
from cases.models import Case
from disclosure import services
from disclosure.forms import (
    BreakForm,
    DeploymentForm,
    PreNotificationForm,
    ProjectReleaseForm,
    ProposalForm,
    ReleasePlanForm,
    StartClockForm,
)
from disclosure.models import (
    Embargo,
    EmbargoClock,
    EmbargoPolicy,
    EmbargoProposal,
    EmbargoState,
    PreNotification,
    ProjectRelease,
    ProposalResponse,
    ReleasePlan,
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
    clocks: list[EmbargoClock] = field(default_factory=list)
    governing_clock_id: int | None = None
    limit: Any = None
    proposals: list[ProposalView] = field(default_factory=list)
    plan: ReleasePlan | None = None
    blockers: list[str] = field(default_factory=list)
    project_releases: list[ProjectReleaseView] = field(default_factory=list)
    pre_notifications: list[PreNotificationView] = field(default_factory=list)
    deployments: list[services.DeploymentRow] = field(default_factory=list)
    forms: dict[str, Any] = field(default_factory=dict)

    @property
    def deployed(self) -> list[services.DeploymentRow]:
        return [d for d in self.deployments if d.is_done]

    @property
    def not_deployed(self) -> list[services.DeploymentRow]:
        return [d for d in self.deployments if not d.is_done]


def build_panels(case: Case, case_access: CaseAccess) -> Panels:
    can_manage = case_access.can("manage_case")
    own_orgs = case_access.organisation_ids
    embargo = (
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
    panels = Panels(case=case, access=case_access, embargo=embargo)
    open_embargo = embargo is None or embargo.state in (EmbargoState.NONE, EmbargoState.ACTIVE)
    me = services.own_participant(case_access) if case_access.can("comment_case") else None
    if embargo is not None:
        panels.clocks = list(embargo.clocks.all())
        governing = embargo.governing_clock()
        panels.governing_clock_id = governing.pk if governing else None
        panels.limit = embargo.limit()
        for proposal in embargo.proposals.all():
            responses = list(proposal.responses.all())
            mine = next((r for r in responses if me and r.participant_id == me.pk), None)
            panels.proposals.append(
                ProposalView(
                    proposal=proposal,
                    responses=responses,
                    exceeds_limit=embargo.exceeds_limit(proposal.public_at),
                    my_response=mine,
                    can_respond=proposal.is_open and me is not None,
                    can_decide=proposal.is_open and can_manage,
                    can_withdraw=proposal.is_open
                    and case_access.can("propose_embargo")
                    and (can_manage or proposal.proposer_id == case_access.user.pk),
                )
            )
    if open_embargo and case_access.can("propose_embargo"):
        panels.forms["proposal"] = ProposalForm(auto_id="id_proposal_%s")
    if open_embargo and can_manage:
        clock_form = StartClockForm(auto_id="id_clock_%s")
        policy = clock_form.fields["policy"]
        assert isinstance(policy, forms.ModelChoiceField)
        policy.queryset = EmbargoPolicy.objects.filter(is_active=True)
        panels.forms["clock"] = clock_form
    if embargo is not None and embargo.is_active and can_manage:
        panels.forms["break"] = BreakForm(auto_id="id_break_%s")

    plan = (
        ReleasePlan.objects.filter(case=case)
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
    panels.plan = plan
    if plan is not None:
        panels.blockers = plan.blockers(timezone.now())
        for pr in plan.project_releases.all():
            can_edit = case_access.can("update_release") and (
                can_manage or pr.project.organisation_id in own_orgs
            )
            release_form = None
            if can_edit and pr.status != "released":
                release_form = ProjectReleaseForm(
                    auto_id=f"id_pr{pr.pk}_%s",
                    initial={
                        "fixed_version": pr.fixed_version,
                        "fix_url": pr.fix_url,
                        "status": pr.status,
                        "version": pr.version,
                    },
                )
            panels.project_releases.append(ProjectReleaseView(pr, can_edit, release_form))
        panels.pre_notifications = [
            PreNotificationView(
                pn,
                can_acknowledge=pn.sent_at is not None
                and pn.acknowledged_at is None
                and pn.organisation_id in own_orgs,
            )
            for pn in plan.pre_notifications.all()
        ]
    panels.deployments = services.deployment_overview(case, plan)
    if can_manage and (plan is None or plan.released_at is None):
        panels.forms["plan"] = ReleasePlanForm(
            auto_id="id_plan_%s",
            initial={
                "target_at": plan.target_at if plan else None,
                "version": plan.version if plan else None,
            },
        )
        listed = {pv.pre_notification.organisation_id for pv in panels.pre_notifications}
        candidates = [d.organisation for d in panels.deployments]
        if any(o.pk not in listed for o in candidates):
            panels.forms["pre_notification"] = PreNotificationForm(
                auto_id="id_pn_%s",
                organisations=services.deployer_organisations(case).exclude(pk__in=listed),
            )
    if case_access.can("report_deployment"):
        reportable = [
            d.organisation
            for d in panels.deployments
            if can_manage or d.organisation.pk in own_orgs
        ]
        if reportable:
            deployment_form = DeploymentForm(
                auto_id="id_dep_%s",
                organisations=services.reporting_organisations(case, case_access),
            )
            if len(reportable) == 1:
                deployment_form.fields["organisation"].initial = reportable[0].pk
            panels.forms["deployment"] = deployment_form
    return panels
