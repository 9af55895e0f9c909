"""Disclosure models, one module per topic (see disclosure/README.md)."""

from disclosure.models.advisory import Advisory, AdvisoryRevision, AdvisoryState
from disclosure.models.calendar import CalendarToken
from disclosure.models.embargo import (
    ClockStart,
    Embargo,
    EmbargoClock,
    EmbargoPolicy,
    EmbargoProposal,
    EmbargoState,
    ProposalResponse,
    ProposalState,
)
from disclosure.models.release import (
    DeploymentReport,
    DeploymentStatus,
    PreNotification,
    ProjectRelease,
    ReleasePlan,
    ReleaseStatus,
)

__all__ = [
    "Advisory",
    "AdvisoryRevision",
    "AdvisoryState",
    "CalendarToken",
    "ClockStart",
    "DeploymentReport",
    "DeploymentStatus",
    "Embargo",
    "EmbargoClock",
    "EmbargoPolicy",
    "EmbargoProposal",
    "EmbargoState",
    "PreNotification",
    "ProjectRelease",
    "ProposalResponse",
    "ProposalState",
    "ReleasePlan",
    "ReleaseStatus",
]
