"""Embargo and release workflows: every state change of the disclosure app that is
not the advisory's (that one lives in ``disclosure.advisories.publication``), one module a topic:

- ``embargo``: clocks, proposals, breaking and lifting the embargo;
- ``release``: the release plan, project releases, pre-notifications;
- ``deployment``: deployment reports and the overview;
- ``deadlines``: read-only deadline rows for reminders and dashboards;
- ``calendar_tokens``: the per-user calendar feed tokens.

Each function is one transaction: lock the row, check the state and the actor's
rights (through ``cases.access``), change it, write the timeline entry and hand the
event on. Views, commands and tasks call these through this package
(``services.propose_date``); the names below are its interface.
"""

from disclosure.services.calendar_tokens import (
    regenerate_calendar_token,
    revoke_calendar_token,
    user_for_calendar_token,
)
from disclosure.services.common import (
    DEPLOYER_ROLES,
    RESPONDER_ROLES,
    Role,
    _require,
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
    accept_proposal,
    break_embargo,
    get_or_create_embargo,
    lift_due_embargoes,
    lift_embargo,
    own_participant,
    propose_date,
    reject_proposal,
    respond_to_proposal,
    start_clock,
    stop_clock,
    withdraw_proposal,
)
from disclosure.services.release import (
    acknowledge_pre_notification,
    add_pre_notification,
    deployer_organisations,
    get_or_create_plan,
    mark_pre_notification_sent,
    record_pre_notification_sent,
    reporting_organisations,
    save_release_plan,
    update_project_release,
)

__all__ = [
    "DEPLOYER_ROLES",
    "Deadline",
    "DeploymentRow",
    "MAX_BREAK_GRACE_HOURS",
    "RESPONDER_ROLES",
    "Role",
    "_require",
    "accept_proposal",
    "acknowledge_pre_notification",
    "add_pre_notification",
    "break_embargo",
    "deployer_organisations",
    "deployment_laggards",
    "deployment_overview",
    "get_or_create_embargo",
    "get_or_create_plan",
    "lift_due_embargoes",
    "lift_embargo",
    "mark_pre_notification_sent",
    "own_participant",
    "propose_date",
    "record_pre_notification_sent",
    "regenerate_calendar_token",
    "reject_proposal",
    "report_deployment",
    "reporting_organisations",
    "respond_to_proposal",
    "revoke_calendar_token",
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
