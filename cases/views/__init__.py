"""Web views for coordinators, maintainers, partners and reporters, one module per topic.

Every view fetches through ``cases.access`` (``get_case_for``, ``visible_to``,
``visible_reports``) and changes state only through ``cases.services`` or a model
method; none decides access or re-implements a workflow itself.
"""

from cases.views.batches import batch_detail, sarif_upload
from cases.views.case_detail import (
    acknowledge,
    attachment_download,
    attachment_upload,
    case_detail,
    comment_post,
)
from cases.views.case_edit import (
    case_edit,
    case_mark_duplicate,
    case_transition,
    participant_add,
    participant_remove,
    vulnerability_add,
    vulnerability_edit,
)
from cases.views.case_list_tools import (
    case_bulk,
    saved_filter_apply,
    saved_filter_delete,
    saved_filter_save,
)
from cases.views.case_projects import case_project_add, case_project_remove
from cases.views.credits import credit_add, credit_consent, credit_remove
from cases.views.errors import page_not_found, permission_denied, server_error
from cases.views.home import case_list, home, profile
from cases.views.intake import report_new, token_create, token_revoke
from cases.views.members import (
    member_invite,
    member_remove,
    member_role,
    organisation_list,
    organisation_members,
)
from cases.views.triage import (
    report_attachment_download,
    report_detail,
    report_list,
    report_merge,
    report_open_case,
    report_reject,
    report_unmerge,
)
from cases.views.vendor_status import vendor_status_edit, vendor_status_remind
from cases.views.wording import wording_reviewed

__all__ = [
    "acknowledge",
    "attachment_download",
    "attachment_upload",
    "batch_detail",
    "case_bulk",
    "case_detail",
    "case_edit",
    "case_list",
    "case_mark_duplicate",
    "case_project_add",
    "case_project_remove",
    "case_transition",
    "comment_post",
    "credit_add",
    "credit_consent",
    "credit_remove",
    "home",
    "member_invite",
    "member_remove",
    "member_role",
    "organisation_list",
    "organisation_members",
    "page_not_found",
    "participant_add",
    "participant_remove",
    "permission_denied",
    "profile",
    "report_attachment_download",
    "report_detail",
    "report_list",
    "report_merge",
    "report_new",
    "report_open_case",
    "report_reject",
    "report_unmerge",
    "saved_filter_apply",
    "saved_filter_delete",
    "saved_filter_save",
    "sarif_upload",
    "server_error",
    "token_create",
    "token_revoke",
    "vendor_status_edit",
    "vendor_status_remind",
    "vulnerability_add",
    "vulnerability_edit",
    "wording_reviewed",
]
