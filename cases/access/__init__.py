"""The one place that decides who sees and does what.

Rules, as one table (role x action), mirrored in ``cases/README.md`` and read by the
tests. SIRT members act as coordinators on every case. Everybody else gets rights on
a case only through an active participant row (their organisation's, or their own),
written down as guardian object permissions in the same transaction that creates or
removes the participant.

- ``Case.objects.visible_to(user)`` / ``filter_visible`` for every list, search,
  count, feed and export.
- ``get_case_for(user, reference, action)`` for every detail view: ``Http404`` when
  the user may not see the case (exactly like a missing one), ``PermissionDenied``
  when they may see it but not do ``action``.
- ``require_on(actor, case, action)`` for every service acting on a case, and a
  ``can_*`` predicate (``predicates.py``) for every question about one object; the
  page asks the same predicate to show the button.
- ``sirt_required`` for the pages only the SIRT has (404 for everyone else).

Callers import this package (``from cases import access``; ``access.get_case_for``);
its modules, one a topic:

- ``roles.py``: the tables (``ROLE_ACTIONS``, ``KIND_ROLES``), no queries;
- ``core.py``: SIRT, visible cases, a user's organisations and participant rows, roles;
- ``case_access.py``: ``CaseAccess``, ``get_case_for``, ``require_on``, the rows of a case;
- ``fields.py``: field-level visibility (mixed into ``CaseAccess``);
- ``predicates.py``: object predicates (``can_*``);
- ``organisations.py``: who manages an organisation's members and webhooks;
- ``lists.py``: a page of a case list as rows, titles and roles decided in its query;
- ``grants.py``: ``sync_grants``;
- ``vendors.py``: vendor status per vulnerability (who is asked, who answers, who reads).
"""

from cases.access.case_access import (
    CaseAccess,
    access_for,
    can_act,
    comment_visible_to,
    filter_comments,
    filter_timeline,
    get_case_for,
    require,
    require_on,
)
from cases.access.core import (
    _perm,
    filter_visible,
    is_sirt,
    member_organisation_ids,
    member_organisations,
    participant_rows_q,
    roles_by_case,
    roles_for,
    sirt_required,
    visible_cases,
    visible_report_batches,
    visible_reports,
)
from cases.access.fields import (
    CASE_TITLE_UNDER_REVIEW,
    VULNERABILITY_TITLE_UNDER_REVIEW,
    readable_title_q,
    with_searchable_title,
    with_shown_titles,
)
from cases.access.grants import sync_grants
from cases.access.lists import (
    EMBARGO_ACTIVE,
    EMBARGO_STATE,
    case_rows,
    complete_rows,
    shown_title_expression,
)
from cases.access.organisations import (
    can_manage_members,
    get_organisation_to_manage,
    managed_organisations,
)
from cases.access.predicates import (
    acknowledging_rows_q,
    addressable_organisations,
    can_acknowledge_participation,
    can_address_organisation,
    can_attach_to_report,
    can_bulk_manage,
    can_consent_to_credit,
    can_report_for,
    can_triage,
    comment_visibility_choices,
    require_bulk_manage,
    require_triage,
)
from cases.access.roles import (
    ACKNOWLEDGING_ROLES,
    ALL_ACTIONS,
    COORDINATOR_ONLY,
    GRANTABLE,
    KIND_ROLES,
    ROLE_ACTIONS,
    Role,
    kind_roles_text,
    role_fits,
)
from cases.access.vendors import (
    VENDOR_ROLES,
    can_remind_vendor,
    can_set_vendor_status,
    may_read_vendor_status_details,
    missing_vendor_status_rows,
    settable_organisations,
    vendor_organisation_ids,
    vendor_organisations,
    vendor_participations,
    vendor_statuses_published,
    visible_vendor_statuses,
)

__all__ = [
    "ACKNOWLEDGING_ROLES",
    "EMBARGO_ACTIVE",
    "EMBARGO_STATE",
    "ALL_ACTIONS",
    "CASE_TITLE_UNDER_REVIEW",
    "COORDINATOR_ONLY",
    "GRANTABLE",
    "KIND_ROLES",
    "ROLE_ACTIONS",
    "VENDOR_ROLES",
    "VULNERABILITY_TITLE_UNDER_REVIEW",
    "CaseAccess",
    "Role",
    "_perm",
    "access_for",
    "acknowledging_rows_q",
    "addressable_organisations",
    "can_acknowledge_participation",
    "can_act",
    "case_rows",
    "complete_rows",
    "can_address_organisation",
    "can_attach_to_report",
    "can_bulk_manage",
    "can_consent_to_credit",
    "can_manage_members",
    "can_remind_vendor",
    "can_report_for",
    "can_set_vendor_status",
    "can_triage",
    "comment_visibility_choices",
    "comment_visible_to",
    "filter_comments",
    "filter_timeline",
    "filter_visible",
    "get_case_for",
    "get_organisation_to_manage",
    "is_sirt",
    "kind_roles_text",
    "managed_organisations",
    "may_read_vendor_status_details",
    "member_organisation_ids",
    "member_organisations",
    "missing_vendor_status_rows",
    "participant_rows_q",
    "require",
    "require_on",
    "require_bulk_manage",
    "require_triage",
    "role_fits",
    "roles_by_case",
    "roles_for",
    "settable_organisations",
    "shown_title_expression",
    "sirt_required",
    "sync_grants",
    "vendor_organisation_ids",
    "vendor_organisations",
    "vendor_participations",
    "vendor_statuses_published",
    "visible_cases",
    "visible_report_batches",
    "visible_reports",
    "visible_vendor_statuses",
    "with_shown_titles",
    "readable_title_q",
    "with_searchable_title",
]
