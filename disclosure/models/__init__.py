"""Disclosure models, one module per topic (see disclosure/README.md)."""

from disclosure.models.advisory import (
    Advisory,
    AdvisoryChange,
    AdvisoryChangeKind,
    AdvisoryChangeState,
    AdvisoryRevision,
    AdvisoryState,
    OsvIdentifier,
)
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
from disclosure.models.gate import PublicationOverride
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
    "AdvisoryChange",
    "AdvisoryChangeKind",
    "AdvisoryChangeState",
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
    "OsvIdentifier",
    "PreNotification",
    "PublicationOverride",
    "ProjectRelease",
    "ProposalResponse",
    "ProposalState",
    "ReleasePlan",
    "ReleaseStatus",
]
