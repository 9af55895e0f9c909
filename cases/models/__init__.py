"""Organisations, people, reports, cases and everything a case holds, one module a topic:

- ``common.py``: ``TransitionError``, ``StaleEdit``, ``YearCounter``;
- ``people.py``: ``Organisation``, ``Membership``, ``Profile``, ``Project``;
- ``case.py``: ``Case`` (states, ``TRANSITIONS``, ``Case.transition``), ``CaseCounter``,
  ``Participant``, the grant tables, ``TimelineEntry``, ``CaseAccessRecord``;
- ``reports.py``: ``Report``; ``vulnerabilities.py``: ``Vulnerability``,
  ``AffectedPackage``, ``Credit``; ``vendor_status.py``: ``VendorStatus`` (what each
  vendor organisation says about one vulnerability); ``discussion.py``: ``Comment``, ``Attachment``.

Import them from here (``from cases.models import Case``). Every model's app is
``cases`` whichever module holds it, so migrations do not see the split.

State changes live in model methods (one row) or in ``cases.services`` (several
models). Each locks its row, checks the state, changes it and writes one timeline
entry, in one transaction. Model methods check the state, not the actor's rights: a
change made on behalf of a user goes through a service that asks ``cases.access``
first (cases/README.md, "Who checks permissions").
"""

from cases.models.case import (
    OPEN_STATES,
    SEVERITY_RANK,
    TRANSITION_LABELS,
    TRANSITIONS,
    Case,
    CaseAccessRecord,
    CaseChange,
    CaseCounter,
    CaseGroupObjectPermission,
    CaseQuerySet,
    CaseState,
    CaseUserObjectPermission,
    Participant,
    ParticipantQuerySet,
    ParticipantRole,
    Severity,
    TimelineEntry,
    severity_for_score,
)
from cases.models.common import StaleEdit, TransitionError, YearCounter
from cases.models.discussion import Attachment, Comment, CommentVisibility, private_upload_path
from cases.models.people import Membership, Organisation, OrganisationQuerySet, Profile, Project
from cases.models.reports import Report, ReportStatus
from cases.models.vendor_status import (
    Justification,
    VendorStatus,
    VendorStatusValue,
)
from cases.models.vulnerabilities import AffectedPackage, Credit, Vulnerability

__all__ = [
    "OPEN_STATES",
    "SEVERITY_RANK",
    "TRANSITIONS",
    "TRANSITION_LABELS",
    "AffectedPackage",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Case",
    "CaseAccessRecord",
    "CaseChange",
    "CaseCounter",
    "CaseGroupObjectPermission",
    "CaseQuerySet",
    "CaseSearchDocument",
    "CaseState",
    "CaseUserObjectPermission",
    "Comment",
    "CommentVisibility",
    "Credit",
    "IdempotencyRecord",
    "Invitation",
    "Justification",
    "Membership",
    "Organisation",
    "OrganisationQuerySet",
    "Participant",
    "ParticipantQuerySet",
    "ParticipantRole",
    "Profile",
    "Project",
    "Report",
    "ReportBatch",
    "ReportMerge",
    "ReportStatus",
    "SavedFilter",
    "Severity",
    "StaleEdit",
    "TimelineEntry",
    "TransitionError",
    "VendorStatus",
    "VendorStatusValue",
    "Vulnerability",
    "YearCounter",
    "private_upload_path",
    "severity_for_score",
]

# Models that live with their feature code (they import the ones above, so they come
# last); importing them here registers them.
from cases.accounts.models import Invitation  # noqa: E402
from cases.api_models import ApiToken, IdempotencyRecord  # noqa: E402
from cases.audit import AuditEvent  # noqa: E402
from cases.duplicate_documents import CaseSearchDocument  # noqa: E402
from cases.models.coordination import ReportMerge, SavedFilter  # noqa: E402
from cases.report_batches import ReportBatch  # noqa: E402
