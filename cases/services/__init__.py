"""Workflows that span several models, and the changes a person makes to a case, one
module a topic:

- ``reports``: submitting, triage (open a case, merge and undo a merge, reject), merging
  duplicate cases;
- ``case``: ``transition_case``, ``edit_case_details``, projects, wording reviewed,
  ``record_view``;
- ``participants``: adding and removing participants, acknowledging;
- ``discussion``: comments and attachments;
- ``vulnerabilities``: vulnerabilities and credits;
- ``vendor_status``: vendor status per vulnerability (set, remind, the matrix).

Each function that acts for a person takes the actor and checks its right itself,
through ``cases.access`` (``require_on`` for an action on the case, a ``can_*``
predicate for one object), raising ``PermissionDenied`` even when the caller already
checked (cases/README.md, "Who checks permissions"). Then it is one transaction:
lock, check the state, change, write the timeline entry. Views, the API, commands and
the demo call these through this package (``services.post_comment``); none
re-implements them. Helpers starting with ``_`` make the change without the check,
for a service of this package that has checked already.
"""

from cases.services.case import (
    add_project,
    edit_case_details,
    mark_wording_reviewed,
    record_view,
    remove_project,
    transition_case,
)
from cases.services.discussion import post_comment, store_attachment
from cases.services.participants import acknowledge, add_participant, remove_participant
from cases.services.reports import (
    RECEIVED_NEXT_STEPS,
    live_merge,
    mark_case_duplicate,
    merge_report_into_case,
    open_case_from_report,
    reject_report,
    submit_report,
    undo_report_merge,
)
from cases.services.vendor_status import (
    missing_vendor_statuses,
    remind_vendor,
    set_vendor_status,
    vendor_panel,
)
from cases.services.vulnerabilities import (
    NoAffectedPackage,
    add_credit,
    clean_affected,
    record_project_fixed_versions,
    remove_credit,
    save_vulnerability,
    set_credit_consent,
)

__all__ = [
    "RECEIVED_NEXT_STEPS",
    "NoAffectedPackage",
    "clean_affected",
    "record_project_fixed_versions",
    "acknowledge",
    "add_credit",
    "add_participant",
    "add_project",
    "edit_case_details",
    "live_merge",
    "mark_case_duplicate",
    "mark_wording_reviewed",
    "missing_vendor_statuses",
    "merge_report_into_case",
    "open_case_from_report",
    "post_comment",
    "record_view",
    "remind_vendor",
    "reject_report",
    "remove_credit",
    "remove_participant",
    "remove_project",
    "save_vulnerability",
    "set_credit_consent",
    "set_vendor_status",
    "store_attachment",
    "submit_report",
    "transition_case",
    "vendor_panel",
    "undo_report_merge",
]
