"""Embargo and release workflows: every state change of the disclosure app that is
not the advisory's (that one lives in ``disclosure.advisories.publication``), one module a topic:

- ``embargo``: clocks, proposals, breaking and lifting the embargo;
- ``release``: the release plan, project releases, pre-notifications;
- ``deployment``: deployment reports and the overview;
- ``deadlines``: read-only deadline rows for reminders and dashboards;
- ``calendar_tokens``: the per-user calendar feed tokens.

Each function that acts for a user takes the actor and checks its rights itself
(``cases.access.require_on`` and the predicates of ``disclosure.access``, which the
panels ask too), then is one transaction: lock the row, check the state, change it,
write the timeline entry and hand the event on. The system's own callers (the sweep,
``lift_due_embargoes``, ``record_pre_notification_sent``) pass no actor to the
functions documented for them. Views, commands and tasks call these through this package
(``services.propose_date``); the names below are its interface.
"""

from disclosure.services.calendar_tokens import (
    regenerate_calendar_token,
    revoke_calendar_token,
    user_for_calendar_token,
)
from disclosure.services.deadlines import (
    Deadline,
    deployment_laggards,
    upcoming_embargo_deadlines,
    upcoming_pre_notifications,
    upcoming_release_targets,
)
from disclosure.services.deployment import (
    DeploymentRow,
    deployment_overview,
    report_deployment,
)
from disclosure.services.embargo import (
    MAX_BREAK_GRACE_HOURS,
    ProposalAgreement,
    accept_proposal,
    break_embargo,
    get_or_create_embargo,
    lift_due_embargoes,
    lift_embargo,
    proposal_agreement,
    propose_date,
    reject_proposal,
    respond_to_proposal,
    start_clock,
    stop_clock,
    withdraw_proposal,
)
from disclosure.services.release import (
    PublicationGate,
    acknowledge_pre_notification,
    add_pre_notification,
    get_or_create_plan,
    mark_pre_notification_sent,
    override_publication_gate,
    propose_release_target,
    publication_blockers,
    publication_gate,
    record_pre_notification_sent,
    revoke_publication_override,
    save_release_plan,
    update_project_release,
)

__all__ = [
    "Deadline",
    "DeploymentRow",
    "MAX_BREAK_GRACE_HOURS",
    "ProposalAgreement",
    "PublicationGate",
    "accept_proposal",
    "acknowledge_pre_notification",
    "add_pre_notification",
    "break_embargo",
    "deployment_laggards",
    "deployment_overview",
    "get_or_create_embargo",
    "get_or_create_plan",
    "lift_due_embargoes",
    "lift_embargo",
    "mark_pre_notification_sent",
    "override_publication_gate",
    "propose_date",
    "proposal_agreement",
    "publication_blockers",
    "publication_gate",
    "record_pre_notification_sent",
    "regenerate_calendar_token",
    "reject_proposal",
    "report_deployment",
    "respond_to_proposal",
    "revoke_calendar_token",
    "revoke_publication_override",
    "propose_release_target",
    "save_release_plan",
    "start_clock",
    "stop_clock",
    "upcoming_embargo_deadlines",
    "upcoming_pre_notifications",
    "upcoming_release_targets",
    "update_project_release",
    "user_for_calendar_token",
    "withdraw_proposal",
]
