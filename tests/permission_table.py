"""Who gets what from every URL: the permission table, read by tests/test_permissions.py.

Every named URL pattern of the URLconf must have an entry here; a new URL fails
the suite ("classify it in tests/permission_table.py") until someone decides what
each persona gets from it. The canary test (tests/test_canary.py) builds its GET
URLs from the same entries.

Format
------
``PERMISSIONS`` maps the URL name, exactly as ``reverse()`` takes it
(``"cases:case_detail"``, ``"login"``), to an entry: a dict with

- ``"kwargs"``: how to build the URL's kwargs from the scenario (tests/scenario.py):
  a string is a dotted path on the ``Scenario`` (``"case.reference"``,
  ``"users.maintainer.pk"``); a callable gets the scenario and returns the value
  (``lambda s: "accept"`` for a literal string, ``lambda s: make_thing(s.case).pk``
  for an object only your URL needs); an int is used as it is.
- ``"query"`` (optional): a query string appended to the URL, without the ``?``.
- ``"data"`` (optional): the POST body (default: empty, which must never save anything).
- one key per HTTP method to try, ``"GET"`` and/or ``"POST"``, each mapping every
  persona in ``PERSONAS`` to the expected answer: an HTTP status (``200``, ``302``,
  ``400``, ``403``, ``404``, ``405``), ``LOGIN`` (302 to the sign-in page), or a
  ``frozenset`` of acceptable statuses (use sparingly). Try GET for pages; for
  POST-only views try POST with empty data.

The rules the answers follow (cases/README.md):

- anonymous: ``LOGIN`` for every page that is not public;
- a case the persona cannot see: ``404``, exactly as a missing case;
- a case the persona sees but may not do this on: ``403``;
- otherwise the view's own answer: ``200`` for a page, ``302`` after an action,
  ``400`` for an empty form that was refused with field errors.

Helpers below build the common shapes; spell out a dict when none fits.

Personas (tests/scenario.py): ``anonymous``; ``outsider`` (member of no case);
``reporter`` (sent the report the case came from); ``partner`` (a partner
organisation that is NOT in the case); ``partner_in_case`` (partner participant
of the case); ``maintainer`` (the case's project); ``other_maintainer`` (another
project, not in the case); ``coordinator`` (SIRT). The case is embargoed.
"""

from __future__ import annotations

from typing import Any

from tests.disclosure import advisory_factories as adv
from tests.disclosure import disc_factories as disc
from tests.disclosure.notifications import notif_factories as notif
from tests.scenario import PERSONAS

LOGIN = "login"
OK = 200
REDIRECT = 302
REFUSED = 400  # an empty form, refused with field errors
FORBIDDEN = 403
NOT_FOUND = 404

SIGNED_IN = ("outsider", "reporter", "partner", "partner_in_case", "maintainer")
SIGNED_IN += ("other_maintainer", "coordinator")
IN_CASE = ("reporter", "partner_in_case", "maintainer", "coordinator")
NOT_IN_CASE = ("outsider", "partner", "other_maintainer")


def everyone(status: Any, *, anonymous: Any = LOGIN) -> dict[str, Any]:
    """The same answer for every signed-in persona; anonymous is sent to sign in."""
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def public(status: Any = OK) -> dict[str, Any]:
    """A public page: the same answer for everyone, anonymous included."""
    return dict.fromkeys(PERSONAS, status)


def on_case(ok: Any, allowed: tuple[str, ...] = IN_CASE) -> dict[str, Any]:
    """An action on the scenario's case: 404 outside it, 403 inside but not allowed."""
    expected: dict[str, Any] = {"anonymous": LOGIN}
    for persona in NOT_IN_CASE:
        expected[persona] = NOT_FOUND
    for persona in IN_CASE:
        expected[persona] = ok if persona in allowed else FORBIDDEN
    return expected


def only(ok: Any, allowed: tuple[str, ...], *, others: Any = FORBIDDEN) -> dict[str, Any]:
    """A page for some personas (e.g. SIRT only); every other signed-in persona gets
    ``others``."""
    return {"anonymous": LOGIN, **{p: ok if p in allowed else others for p in SIGNED_IN}}


def with_(expected: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A copy of ``expected`` with some personas' answers changed."""
    unknown = set(overrides) - set(PERSONAS)
    if unknown:
        raise ValueError(f"Unknown personas: {sorted(unknown)}")
    return {**expected, **overrides}


UNAUTHENTICATED = 401  # the API's answer to a call without credentials
API_CASE = {"case_reference": "case.reference"}


def api_everyone(status: Any) -> dict[str, Any]:
    """An API endpoint for every signed-in persona; anonymous is 401."""
    return everyone(status, anonymous=UNAUTHENTICATED)


def api_on_case(ok: Any, allowed: tuple[str, ...] = IN_CASE) -> dict[str, Any]:
    """``on_case`` for the API: anonymous is 401, not a sign-in redirect."""
    return with_(on_case(ok, allowed), anonymous=UNAUTHENTICATED)


def _reporter_credit(s: Any) -> int:
    from cases.models import Credit

    return Credit.objects.get(vulnerability__case=s.case, user=s.users["reporter"]).pk


def _reporter_batch(s: Any) -> int:
    """A finished batch of findings sent by the reporter (the submitter and the SIRT see it)."""
    from cases.models import ReportBatch

    batch = ReportBatch.objects.create(
        submitted_by=s.users["reporter"], source=ReportBatch.Source.FINDINGS, total=0
    )
    return batch.pk


def _maintainer_saved_filter(s: Any) -> int:
    """A saved case-list filter of the maintainer's: private to them, 404 for others."""
    from cases.models import SavedFilter

    saved, _ = SavedFilter.objects.get_or_create(
        owner=s.users["maintainer"], name="Open cases", defaults={"query": "state=open"}
    )
    return saved.pk


def _maintainer_membership(s: Any) -> int:
    from cases.models import Membership

    return Membership.objects.get(user=s.users["maintainer"]).pk


CASE = {"reference": "case.reference"}
MEMBERS = {"slug": "world.maintainer_org.slug"}
ADVISORY = {"identifier": "extra.advisory.identifier"}
COORDINATOR = ("coordinator",)
SIRT = ("coordinator",)

# URL names under these namespaces are classified as a group by their own test
# (tests/test_permissions.py: Django's admin is for staff only).
GROUPS = ("admin",)

PERMISSIONS: dict[str, dict[str, Any]] = {
    # ----------------------------------------------------------- Django's auth views
    "login": {"GET": public(OK)},
    "logout": {"GET": public(405), "POST": public(REDIRECT)},
    "password_reset": {"GET": public(OK), "POST": public(OK)},
    "password_reset_done": {"GET": public(OK)},
    "password_reset_confirm": {
        # A link with an invalid token: the page says so, for everyone.
        "kwargs": {"uidb64": lambda s: "MQ", "token": lambda s: "set-password"},
        "GET": public(OK),
    },
    "password_reset_complete": {"GET": public(OK)},
    "password_change": {"GET": everyone(OK), "POST": everyone(OK)},
    "password_change_done": {"GET": everyone(OK)},
    # ----------------------------------------------------------- accounts (cases/accounts/)
    # The scenario's coordinator has a verified authenticator: the page shows its status
    # and the verify step sends them on; everyone else has none and is offered one.
    "accounts:2fa": {"GET": everyone(OK), "POST": with_(everyone(REFUSED), coordinator=OK)},
    "accounts:2fa_verify": {"GET": everyone(REDIRECT), "POST": everyone(REDIRECT)},
    # An empty POST has no password: nothing is reset, back to the page with a message.
    "accounts:2fa_reset": {"POST": everyone(REDIRECT)},
    # Invitations are the SIRT's; for everyone else the pages do not exist.
    "accounts:invitation_list": {"GET": only(OK, SIRT, others=NOT_FOUND)},
    "accounts:invitation_new": {
        "GET": only(OK, SIRT, others=NOT_FOUND),
        "POST": only(REFUSED, SIRT, others=NOT_FOUND),
    },
    "accounts:invitation_revoke": {
        "kwargs": {"pk": 999999},
        "POST": only(NOT_FOUND, SIRT, others=NOT_FOUND),
    },
    # A link with a bad token: "this invitation does not work", for everyone.
    "accounts:invitation_accept": {
        "kwargs": {"token": lambda s: "not-a-valid-token"},
        "GET": public(NOT_FOUND),
        "POST": public(NOT_FOUND),
    },
    # ----------------------------------------------------------- audit trail (cases/audit.py)
    "audit_list": {"GET": only(OK, SIRT, others=NOT_FOUND)},
    "audit_export": {"POST": only(OK, SIRT, others=NOT_FOUND)},
    # ----------------------------------------------------------- load balancers
    # /healthz: anonymous, no case data, read-only (akrites/health.py).
    "healthz": {"GET": public(OK), "POST": public(405)},
    "healthz_live": {"GET": public(OK), "POST": public(405)},
    "healthz_ready": {"GET": public(OK), "POST": public(405)},
    # ----------------------------------------------------------- cases: pages
    "cases:home": {"GET": everyone(OK)},
    "cases:profile": {"GET": everyone(OK), "POST": everyone(OK)},
    "cases:case_list": {"GET": everyone(OK)},
    "cases:case_detail": {"kwargs": CASE, "GET": on_case(OK)},
    "cases:case_edit": {
        "kwargs": CASE,
        "GET": on_case(OK, COORDINATOR),
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "cases:case_transition": {
        "kwargs": {**CASE, "name": lambda s: "mark_fix_ready"},
        "POST": on_case(REDIRECT, COORDINATOR),
    },
    # An empty POST names no case to merge into: refused with a field error.
    "cases:case_duplicate": {"kwargs": CASE, "POST": on_case(REFUSED, COORDINATOR)},
    # Every participant may acknowledge for their organisation; with nothing to
    # acknowledge it is a message, still a redirect.
    "cases:acknowledge": {"kwargs": CASE, "POST": on_case(REDIRECT)},
    "cases:comment_post": {"kwargs": CASE, "POST": on_case(REFUSED)},
    "cases:attachment_upload": {
        "kwargs": CASE,
        "POST": on_case(REFUSED, ("reporter", "maintainer", "coordinator")),
    },
    "cases:attachment_download": {
        "kwargs": {**CASE, "pk": "attachment.pk"},
        "GET": on_case(OK),
    },
    "cases:participant_add": {
        "kwargs": CASE,
        "GET": on_case(OK, COORDINATOR),
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "cases:participant_remove": {
        "kwargs": {**CASE, "pk": "participant.pk"},
        "POST": on_case(REDIRECT, COORDINATOR),
    },
    "cases:vulnerability_add": {
        "kwargs": CASE,
        "GET": on_case(OK, ("maintainer", "coordinator")),
        "POST": on_case(REFUSED, ("maintainer", "coordinator")),
    },
    "cases:vulnerability_edit": {
        "kwargs": {**CASE, "pk": "vulnerability.pk"},
        "GET": on_case(OK, ("maintainer", "coordinator")),
        "POST": on_case(REFUSED, ("maintainer", "coordinator")),
    },
    # Projects of a case are the SIRT's; an empty POST names no project (field error).
    "cases:case_project_add": {"kwargs": CASE, "POST": on_case(REFUSED, COORDINATOR)},
    "cases:case_project_remove": {
        "kwargs": {**CASE, "pk": "world.project.pk"},
        "POST": on_case(REDIRECT, COORDINATOR),
    },
    # Credits are edited with the vulnerabilities; an empty POST has no name.
    "cases:credit_add": {
        "kwargs": {**CASE, "pk": "vulnerability.pk"},
        "POST": on_case(REFUSED, ("maintainer", "coordinator")),
    },
    "cases:credit_remove": {
        "kwargs": {**CASE, "pk": "extra.credit.pk"},
        "POST": on_case(REDIRECT, ("maintainer", "coordinator")),
    },
    # Consent is the credited person's alone (the reporter's own credit, filed with the
    # report): for anyone else the credit is missing. An empty POST chooses nothing.
    # Vendor status (issue 15 §3): the scenario's partner organisation answers for
    # itself, a coordinator on its behalf; the maintainer sees the case but may not
    # answer for the partner (403). An empty POST chooses no status.
    "cases:vendor_status_edit": {
        "kwargs": {**CASE, "pk": "vulnerability.pk", "slug": "participant.organisation.slug"},
        "GET": on_case(OK, ("partner_in_case", "coordinator")),
        "POST": on_case(REFUSED, ("partner_in_case", "coordinator")),
    },
    "cases:vendor_status_remind": {
        "kwargs": {**CASE, "slug": "participant.organisation.slug"},
        "POST": on_case(REDIRECT, COORDINATOR),
    },
    "cases:credit_consent": {
        "kwargs": {**CASE, "pk": _reporter_credit},
        "POST": with_(on_case(NOT_FOUND), reporter=REFUSED),
    },
    # Reviewing a title copied from a report: maintainers (vulnerabilities) and
    # coordinators (also the case title). An empty POST names no title: a message, 302.
    "cases:wording_reviewed": {
        "kwargs": CASE,
        "POST": on_case(REDIRECT, ("maintainer", "coordinator")),
    },
    # ----------------------------------------------------------- cases: reports, triage
    # Everybody may send reports and list their own; the SIRT sees all of them.
    "cases:report_list": {"GET": everyone(OK)},
    "cases:report_new": {"GET": everyone(OK), "POST": everyone(REFUSED)},
    # SARIF upload: anyone who may report; an empty POST is refused (no file).
    "cases:sarif_upload": {"GET": everyone(OK), "POST": everyone(REFUSED)},
    # A batch of findings: its submitter and the SIRT; anyone else as if missing.
    "cases:batch_detail": {
        "kwargs": {"pk": _reporter_batch},
        "GET": only(OK, ("reporter", "coordinator"), others=NOT_FOUND),
    },
    # A report is visible to its reporter and the SIRT only; triage is the SIRT's.
    "cases:report_detail": {
        "kwargs": {"pk": "report.pk"},
        "GET": only(OK, ("reporter", "coordinator"), others=NOT_FOUND),
    },
    "cases:report_attachment_download": {
        "kwargs": {"pk": "new_report.pk", "attachment_pk": "report_attachment.pk"},
        "GET": only(OK, ("reporter", "coordinator"), others=NOT_FOUND),
    },
    "cases:report_open_case": {
        "kwargs": {"pk": "new_report.pk"},
        "POST": with_(only(REFUSED, SIRT, others=NOT_FOUND), reporter=FORBIDDEN),
    },
    "cases:report_merge": {
        "kwargs": {"pk": "new_report.pk"},
        "POST": with_(only(REFUSED, SIRT, others=NOT_FOUND), reporter=FORBIDDEN),
    },
    "cases:report_reject": {
        "kwargs": {"pk": "new_report.pk"},
        "POST": with_(only(REFUSED, SIRT, others=NOT_FOUND), reporter=FORBIDDEN),
    },
    # Undo a merge: the SIRT (a report never merged: a message, back to its page).
    "cases:report_unmerge": {
        "kwargs": {"pk": "new_report.pk"},
        "POST": with_(only(REDIRECT, SIRT, others=NOT_FOUND), reporter=FORBIDDEN),
    },
    # ----------------------------------------------------------- cases: the case list's tools
    # Saved filters: anyone saves their own (an empty POST: a message, back to the list);
    # one person's filter does not exist for anybody else.
    "cases:saved_filter_save": {"POST": everyone(REDIRECT)},
    "cases:saved_filter_apply": {
        "kwargs": {"pk": _maintainer_saved_filter},
        "GET": only(REDIRECT, ("maintainer",), others=NOT_FOUND),
    },
    "cases:saved_filter_delete": {
        "kwargs": {"pk": _maintainer_saved_filter},
        "POST": only(REDIRECT, ("maintainer",), others=NOT_FOUND),
    },
    # Bulk actions: coordinators (an empty POST: "nothing changed", back to the list).
    "cases:case_bulk": {"POST": only(REDIRECT, SIRT, others=NOT_FOUND)},
    # ----------------------------------------------------------- cases: organisation members
    # The SIRT manages every organisation, an admin their own (tests/cases/
    # test_membership_access.py). The maintainer is a plain member of libexample
    # maintainers: 403; anyone outside it: 404, as a missing organisation. Empty POSTs
    # change nothing: no address (400), no role (a message, 302), no confirmation (400).
    "cases:organisation_list": {"GET": everyone(OK)},
    "cases:organisation_members": {
        "kwargs": MEMBERS,
        "GET": with_(only(OK, SIRT, others=NOT_FOUND), maintainer=FORBIDDEN),
    },
    "cases:member_invite": {
        "kwargs": MEMBERS,
        "POST": with_(only(REFUSED, SIRT, others=NOT_FOUND), maintainer=FORBIDDEN),
    },
    "cases:member_role": {
        "kwargs": {**MEMBERS, "pk": _maintainer_membership},
        "POST": with_(only(REDIRECT, SIRT, others=NOT_FOUND), maintainer=FORBIDDEN),
    },
    "cases:member_remove": {
        "kwargs": {**MEMBERS, "pk": _maintainer_membership},
        "GET": with_(only(OK, SIRT, others=NOT_FOUND), maintainer=FORBIDDEN),
        "POST": with_(only(REFUSED, SIRT, others=NOT_FOUND), maintainer=FORBIDDEN),
    },
    # ----------------------------------------------------------- cases: onboarding
    # Organisations and projects are created and edited by the SIRT only (cases/
    # onboarding.py); for everyone else the pages do not exist. Empty POSTs are refused
    # with field errors. An onboarding link with a bad token does not work, for anyone.
    "cases:organisation_new": {
        "GET": only(OK, SIRT, others=NOT_FOUND),
        "POST": only(REFUSED, SIRT, others=NOT_FOUND),
    },
    "cases:organisation_edit": {
        "kwargs": MEMBERS,
        "GET": only(OK, SIRT, others=NOT_FOUND),
        "POST": only(REFUSED, SIRT, others=NOT_FOUND),
    },
    "cases:project_list": {"GET": only(OK, SIRT, others=NOT_FOUND)},
    "cases:project_new": {
        "GET": only(OK, SIRT, others=NOT_FOUND),
        "POST": only(REFUSED, SIRT, others=NOT_FOUND),
    },
    "cases:project_edit": {
        "kwargs": {"slug": "world.project.slug"},
        "GET": only(OK, SIRT, others=NOT_FOUND),
        "POST": only(REFUSED, SIRT, others=NOT_FOUND),
    },
    "cases:onboarding_invitations": {"GET": only(OK, SIRT, others=NOT_FOUND)},
    "cases:onboarding_invite": {
        "GET": only(OK, SIRT, others=NOT_FOUND),
        "POST": only(REFUSED, SIRT, others=NOT_FOUND),
    },
    "cases:onboarding_revoke": {
        "kwargs": {"pk": 999999},
        "POST": only(NOT_FOUND, SIRT, others=NOT_FOUND),
    },
    "cases:onboarding_accept": {
        "kwargs": {"token": lambda s: "not-a-valid-token"},
        "GET": public(NOT_FOUND),
        "POST": public(NOT_FOUND),
    },
    # ----------------------------------------------------------- reporting without an account
    # Public: the page, its "check your e-mail" answer and security.txt. An empty POST is
    # refused with field errors; a confirmation link with a bad token does not work.
    "cases:public_report": {"GET": public(OK), "POST": public(REFUSED)},
    "cases:public_report_sent": {"GET": public(OK)},
    "cases:public_report_confirm": {
        "kwargs": {"token": lambda s: "not-a-valid-token"},
        "GET": public(NOT_FOUND),
        "POST": public(NOT_FOUND),
    },
    "security_txt": {"GET": public(OK), "POST": public(405)},
    # ----------------------------------------------------------- cases: API tokens
    "cases:token_create": {"POST": everyone(REDIRECT)},
    "cases:token_revoke": {"kwargs": {"pk": 999999}, "POST": everyone(REDIRECT)},
    # ----------------------------------------------------------- advisories: public site
    # The scenario's advisory is an embargoed draft: on the public side it does not
    # exist for anyone (404, coordinators included); the listings answer 200 without it.
    "advisories:list": {"GET": public(OK)},
    "advisories:feed": {"GET": public(OK)},
    "advisories:osv_index": {"GET": public(OK)},
    "advisories:detail": {"kwargs": ADVISORY, "GET": public(NOT_FOUND)},
    "advisories:csaf": {"kwargs": ADVISORY, "GET": public(NOT_FOUND)},
    "advisories:osv": {"kwargs": {"osv_id": adv.scenario_osv_id}, "GET": public(NOT_FOUND)},
    "advisories:cve": {"kwargs": {"cve_id": adv.scenario_cve_id}, "GET": public(NOT_FOUND)},
    "advisories:csaf_provider_metadata": {"GET": public(OK)},
    "advisories:csaf_directory": {"GET": public(OK)},
    "advisories:csaf_index": {"GET": public(OK)},
    "advisories:csaf_changes": {"GET": public(OK)},
    "advisories:csaf_year": {
        "kwargs": {"year": adv.scenario_csaf_year},
        "GET": public(NOT_FOUND),
    },
    "advisories:csaf_provider_file": {
        "kwargs": {"year": adv.scenario_csaf_year, "filename": adv.scenario_csaf_filename},
        "GET": public(NOT_FOUND),
    },
    # ----------------------------------------------------------- advisories: coordinators
    # Participants read the draft in the case page's panel; these pages are the
    # coordinators'. An empty POST acts on nothing: create finds the advisory exists
    # (a message, 302), edit and steps are refused (400).
    "advisory:create": {"kwargs": CASE, "POST": on_case(REDIRECT, COORDINATOR)},
    "advisory:edit": {
        "kwargs": CASE,
        "GET": on_case(OK, COORDINATOR),
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "advisory:revise": {
        "kwargs": CASE,
        "GET": on_case(OK, COORDINATOR),
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "advisory:transition": {
        "kwargs": {**CASE, "name": lambda s: "submit"},
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "advisory:preview": {
        "kwargs": {**CASE, "fmt": lambda s: "csaf"},
        "GET": on_case(OK, COORDINATOR),
    },
    # ----------------------------------------------------------- disclosure: embargo
    # POST only (the panel is on the case page); an empty POST is refused with field
    # errors (400) for whoever may act, and acts on nothing.
    "disclosure:clock_start": {"kwargs": CASE, "POST": on_case(REFUSED, COORDINATOR)},
    "disclosure:clock_stop": {
        "kwargs": {**CASE, "pk": lambda s: disc.scenario_clock(s).pk},
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "disclosure:proposal_create": {
        "kwargs": CASE,
        "POST": on_case(REFUSED, ("maintainer", "coordinator")),
    },
    # Every participant may answer (the service then refuses reporters and the SIRT).
    "disclosure:proposal_respond": {
        "kwargs": {**CASE, "pk": "proposal.pk"},
        "POST": on_case(REFUSED),
    },
    "disclosure:proposal_accept": {
        "kwargs": {**CASE, "pk": "proposal.pk"},
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "disclosure:proposal_reject": {
        "kwargs": {**CASE, "pk": "proposal.pk"},
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "disclosure:proposal_withdraw": {
        "kwargs": {**CASE, "pk": "proposal.pk"},
        "POST": on_case(REFUSED, ("maintainer", "coordinator")),
    },
    "disclosure:embargo_break": {"kwargs": CASE, "POST": on_case(REFUSED, COORDINATOR)},
    # ----------------------------------------------------------- disclosure: release
    "disclosure:release_overview": {"kwargs": CASE, "GET": on_case(OK)},
    "disclosure:release_plan_save": {"kwargs": CASE, "POST": on_case(REFUSED, COORDINATOR)},
    # Maintainers start the plan and propose its target; coordinators too.
    "disclosure:release_target_propose": {
        "kwargs": CASE,
        "POST": on_case(REFUSED, ("maintainer", "coordinator")),
    },
    "disclosure:project_release_update": {
        "kwargs": {**CASE, "pk": lambda s: disc.scenario_project_release(s).pk},
        "POST": on_case(REFUSED, ("maintainer", "coordinator")),
    },
    "disclosure:pre_notification_add": {
        "kwargs": CASE,
        "POST": on_case(REFUSED, COORDINATOR),
    },
    "disclosure:pre_notification_sent": {
        "kwargs": {**CASE, "pk": lambda s: disc.scenario_pre_notification(s).pk},
        "POST": on_case(REFUSED, COORDINATOR),
    },
    # Any participant reaches the form; the service lets only the pre-notified
    # organisation acknowledge.
    "disclosure:pre_notification_acknowledge": {
        "kwargs": {**CASE, "pk": lambda s: disc.scenario_pre_notification(s).pk},
        "POST": on_case(REFUSED),
    },
    "disclosure:deployment_report": {
        "kwargs": CASE,
        "POST": on_case(REFUSED, ("partner_in_case", "coordinator")),
    },
    # The release gate's override: an empty form (no reason, no confirm) saves nothing.
    "disclosure:publication_gate_override": {"kwargs": CASE, "POST": on_case(REFUSED, COORDINATOR)},
    "disclosure:publication_gate_revoke": {"kwargs": CASE, "POST": on_case(REFUSED, COORDINATOR)},
    # ----------------------------------------------------------- disclosure: metrics, calendar
    "disclosure:metrics": {"GET": only(OK, SIRT, others=NOT_FOUND)},
    # The feed authenticates by its token alone (the maintainer's here): the same
    # answer for every persona, and only case references in it.
    "disclosure:calendar_feed": {
        "kwargs": {"token": disc.scenario_calendar_token},
        "GET": public(OK),
    },
    "disclosure:calendar_token_new": {"POST": everyone(OK)},
    "disclosure:calendar_token_revoke": {"POST": everyone(REDIRECT)},
    # ----------------------------------------------------------- notifications
    "notifications:centre": {"GET": everyone(OK)},
    # Only the recipient may mark a notification read; for anyone else it is missing.
    "notifications:mark_read": {
        "kwargs": {"pk": notif.maintainer_notification},
        "POST": with_(everyone(NOT_FOUND), maintainer=REDIRECT),
    },
    "notifications:mark_all_read": {"POST": everyone(REDIRECT)},
    "notifications:preferences": {"GET": everyone(OK), "POST": everyone(REFUSED)},
    "notifications:mute": {"kwargs": CASE, "POST": on_case(REDIRECT)},
    # SIRT-only pages do not exist for anyone else (cases.access.sirt_required): 404.
    "notifications:failures": {"GET": only(OK, SIRT, others=NOT_FOUND)},
    "notifications:failure_retry": {
        "kwargs": {"pk": notif.failed_notification},
        "POST": only(REDIRECT, SIRT, others=NOT_FOUND),
    },
    # Webhooks belong to organisations: members see their own, only the organisation's
    # admins and the SIRT change them (no persona here is an admin: the partner in the
    # case is a plain member, 403; tests/disclosure/notifications/
    # test_webhook_management.py has the admins); anyone else gets 404.
    "notifications:webhook_list": {"GET": everyone(OK)},
    "notifications:webhook_create": {
        "GET": only(OK, SIRT),
        "POST": only(REFUSED, SIRT),
    },
    "notifications:webhook_detail": {
        "kwargs": {"pk": notif.partner_webhook},
        "GET": with_(everyone(NOT_FOUND), partner_in_case=OK, coordinator=OK),
        "POST": with_(everyone(NOT_FOUND), partner_in_case=FORBIDDEN, coordinator=REFUSED),
    },
    "notifications:webhook_test": {
        "kwargs": {"pk": notif.partner_webhook},
        "POST": with_(everyone(NOT_FOUND), partner_in_case=FORBIDDEN, coordinator=REDIRECT),
    },
    "notifications:webhook_enable": {
        "kwargs": {"pk": notif.partner_webhook},
        "POST": with_(everyone(NOT_FOUND), partner_in_case=FORBIDDEN, coordinator=REDIRECT),
    },
    "notifications:webhook_disable": {
        "kwargs": {"pk": notif.partner_webhook},
        "POST": with_(everyone(NOT_FOUND), partner_in_case=FORBIDDEN, coordinator=REDIRECT),
    },
    "notifications:webhook_rotate": {
        "kwargs": {"pk": notif.partner_webhook},
        "POST": with_(everyone(NOT_FOUND), partner_in_case=FORBIDDEN, coordinator=REDIRECT),
    },
    "notifications:webhook_delete": {
        "kwargs": {"pk": notif.partner_webhook},
        "POST": with_(everyone(NOT_FOUND), partner_in_case=FORBIDDEN, coordinator=REDIRECT),
    },
    # ----------------------------------------------------------- REST API (/api/v1/)
    # The same rules in JSON: anonymous gets 401 (not a sign-in redirect) except on the
    # public endpoints; an invisible case or object is 404; visible but not allowed, 403.
    # An empty POST is refused with field errors (400) once access is granted.
    "api:schema": {"GET": public(OK)},
    "api:docs": {"GET": public(OK)},
    "api:not_found": {"GET": public(NOT_FOUND), "POST": public(NOT_FOUND)},
    "api:me": {"GET": api_everyone(OK)},
    "api:organisation-list": {"GET": api_everyone(OK)},
    "api:organisation-detail": {
        "kwargs": {"slug": "participant.organisation.slug"},
        "GET": with_(api_everyone(NOT_FOUND), partner_in_case=OK),
    },
    "api:report-list": {"GET": api_everyone(OK), "POST": api_everyone(REFUSED)},
    "api:report-detail": {
        "kwargs": {"pk": "report.pk"},
        "GET": with_(api_everyone(NOT_FOUND), reporter=OK, coordinator=OK),
    },
    # Batch and SARIF intake: an empty POST is no list of findings / no log. The batch
    # takes JSON only: the empty form the table posts is 415 (unsupported media type).
    "api:report_batch_create": {"POST": api_everyone(415)},
    "api:report_sarif_create": {"POST": api_everyone(REFUSED)},
    "api:report_batch": {
        "kwargs": {"pk": _reporter_batch},
        "GET": with_(api_everyone(NOT_FOUND), reporter=OK, coordinator=OK),
    },
    "api:case-list": {"GET": api_everyone(OK)},
    "api:case-detail": {"kwargs": API_CASE, "GET": api_on_case(OK)},
    "api:participant-list": {"kwargs": API_CASE, "GET": api_on_case(OK)},
    "api:vulnerability-list": {
        "kwargs": API_CASE,
        "GET": api_on_case(OK),
        "POST": api_on_case(REFUSED, ("maintainer", "coordinator")),
    },
    "api:vulnerability-detail": {
        "kwargs": {**API_CASE, "pk": "vulnerability.pk"},
        "GET": api_on_case(OK),
    },
    # Everyone in the case lists what they may read; vendors (and coordinators) set.
    "api:vendor-status-list": {
        "kwargs": API_CASE,
        "GET": api_on_case(OK),
        "POST": api_on_case(REFUSED, ("partner_in_case", "maintainer", "coordinator")),
    },
    "api:comment-list": {
        "kwargs": API_CASE,
        "GET": api_on_case(OK),
        "POST": api_on_case(REFUSED),
    },
    "api:embargo": {"kwargs": API_CASE, "GET": api_on_case(OK)},
    "api:embargo-proposals": {
        "kwargs": API_CASE,
        "POST": api_on_case(REFUSED, ("maintainer", "coordinator")),
    },
    "api:embargo-respond": {
        "kwargs": {**API_CASE, "proposal_id": "proposal.pk"},
        "POST": api_on_case(REFUSED),
    },
    # Coordinators; the scenario's proposal lacks the maintainers' agreement, so an
    # empty POST (no override) is refused with a field error.
    "api:embargo-accept": {
        "kwargs": {**API_CASE, "proposal_id": "proposal.pk"},
        "POST": api_on_case(REFUSED, COORDINATOR),
    },
    "api:release": {"kwargs": API_CASE, "GET": api_on_case(OK)},
    "api:publication-gate-override": {
        "kwargs": API_CASE,
        "POST": api_on_case(REFUSED, COORDINATOR),
    },
    # No override is in force in the scenario: 409, nothing to revoke.
    "api:publication-gate-revoke": {
        "kwargs": API_CASE,
        "POST": with_(api_on_case(REFUSED, COORDINATOR), coordinator=409),
    },
    # PATCH only: the table's methods answer 405 before any lookup (nothing revealed).
    "api:release-project": {
        "kwargs": {**API_CASE, "release_id": lambda s: disc.scenario_project_release(s).pk},
        "POST": api_everyone(405),
    },
    "api:deployment": {
        "kwargs": API_CASE,
        "POST": api_on_case(REFUSED, ("partner_in_case", "coordinator")),
    },
    # Only the pre-notified organisation acknowledges (the partner in the case).
    "api:pre-notification-acknowledge": {
        "kwargs": {
            **API_CASE,
            "pre_notification_id": lambda s: disc.scenario_pre_notification(s).pk,
        },
        "POST": api_on_case(OK, ("partner_in_case",)),
    },
    "api:case-advisory": {
        "kwargs": API_CASE,
        "GET": api_on_case(OK, ("partner_in_case", "maintainer", "coordinator")),
    },
    # Review steps are the coordinators'; an empty POST has no version and acts on nothing.
    "api:case-advisory-step": {
        "kwargs": {**API_CASE, "step": lambda s: "submit"},
        "POST": api_on_case(REFUSED, COORDINATOR),
    },
    # The scenario's advisory is an embargoed draft: it does not exist publicly.
    "api:advisory-list": {"GET": public(OK)},
    "api:advisory-detail": {"kwargs": ADVISORY, "GET": public(NOT_FOUND)},
    "api:notification-list": {"GET": api_everyone(OK)},
    "api:notification-read": {
        "kwargs": {"pk": notif.maintainer_notification},
        "POST": with_(api_everyone(NOT_FOUND), maintainer=OK),
    },
    "api:notification-read-all": {"POST": api_everyone(OK)},
    "api:webhook-list": {
        "GET": api_everyone(OK),
        "POST": with_(api_everyone(FORBIDDEN), coordinator=REFUSED),
    },
    "api:webhook-detail": {
        "kwargs": {"pk": notif.partner_webhook},
        "GET": with_(api_everyone(NOT_FOUND), partner_in_case=OK, coordinator=OK),
    },
}
