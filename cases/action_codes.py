"""The action codes the cases app writes, with how each reads (``cases.actions``).

Imported once by ``CasesConfig.ready()``. To add a code: write it with ``case.log`` or
``audit.record`` in the service, register it below with its display, and exercise it
in a test (README, "Action codes").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cases.actions import audit, timeline
from cases.models import TRANSITION_LABELS, TRANSITIONS, CaseState, ParticipantRole

_STATE_LABELS = dict(CaseState.choices)
_ROLE_LABELS = dict(ParticipantRole.choices)


def _role(data: Mapping[str, Any]) -> str:
    role = data.get("role") or ""
    return str(_ROLE_LABELS.get(role, role)).lower()


def _state_change(label: str) -> Callable[[Mapping[str, Any]], str]:
    def display(data: Mapping[str, Any]) -> str:
        source = data.get("from", "?")
        text = f"{label}: {_STATE_LABELS.get(str(source), source)} → "
        target = data.get("to") or ""
        text += _STATE_LABELS.get(target, target or "Duplicate")
        if data.get("reason"):
            text += f" (reason: {data['reason']})"
        if data.get("of"):
            text += f" of {data['of']}"
        return text

    return display


def _participant_added(data: Mapping[str, Any]) -> str:
    who = data.get("organisation") or data.get("user") or ""
    text = f"{who} added as {_role(data)}".strip()
    if data.get("override_reason"):
        text += f" (role override: {data['override_reason']})"
    return text


def _details_edited(data: Mapping[str, Any]) -> str:
    fields = data.get("fields")
    return "Details edited" + (f" ({', '.join(fields)})" if fields else "")


def _wording_reviewed(data: Mapping[str, Any]) -> str:
    field = "case title" if data.get("field") == "title" else "vulnerability title"
    return f"Wording of the {field} reviewed"


# --------------------------------------------------------------------------- timeline

for _name in TRANSITIONS:
    timeline.register(f"case.state.{_name}", _state_change(TRANSITION_LABELS[_name]))
timeline.register("case.state.duplicate", _state_change("Duplicate"))

timeline.register("case.opened", "Case opened from a report")
timeline.register("case.details.edited", _details_edited)
timeline.register("case.report.merged", "A duplicate report was merged into this case")
timeline.register(
    "case.report.merge_undone", "The merge of a duplicate report was undone; it is back in triage"
)
timeline.register(
    "case.duplicate.merged", lambda d: f"Case {d.get('case', '')} merged into this one"
)
timeline.register("case.participant.added", _participant_added)
timeline.register("case.participant.removed", lambda d: f"A {_role(d)} participant was removed")
timeline.register("case.participant.acknowledged", lambda d: f"Acknowledged ({_role(d)})")
timeline.register("case.project.added", lambda d: f"Project {d.get('project', '')} added")
timeline.register("case.project.removed", lambda d: f"Project {d.get('project', '')} removed")
timeline.register("case.comment.posted", "Comment posted")
timeline.register("case.attachment.added", "Attachment uploaded")
timeline.register("case.vulnerability.added", "Vulnerability added")
timeline.register("case.vulnerability.edited", "Vulnerability edited")
timeline.register("case.wording.reviewed", _wording_reviewed)
# Credits: never the credited name (services.py, "credits").
timeline.register("case.credit.added", "Credit added to a vulnerability")
timeline.register("case.credit.removed", "Credit removed from a vulnerability")
timeline.register("case.credit.consent_given", "Consent to a credit given")
timeline.register("case.credit.consent_withdrawn", "Consent to a credit withdrawn")

# Vendor status (services/vendor_status.py). The entries are read only by the SIRT and
# the organisation concerned (cases.access.vendors); never the statement or the note.
_VENDOR_STATUS_LABELS = {
    "under_investigation": "under investigation",
    "affected": "affected",
    "not_affected": "not affected",
    "fixed": "fixed",
}


def _vendor_status_set(data: Mapping[str, Any]) -> str:
    status = str(data.get("status") or "")
    text = f"Vendor status of {data.get('organisation') or 'an organisation'}"
    if data.get("vulnerability_id"):
        text += f" on vulnerability #{data['vulnerability_id']}"
    text += f": {_VENDOR_STATUS_LABELS.get(status, status or '?')}"
    if data.get("justification"):
        text += f" ({str(data['justification']).replace('_', ' ')})"
    if data.get("on_behalf"):
        text += ", set by a coordinator on its behalf"
    return text


def _vendor_status_reminded(data: Mapping[str, Any]) -> str:
    return f"{data.get('organisation') or 'An organisation'} reminded to give its vendor status"


timeline.register("case.vendor_status.set", _vendor_status_set)
timeline.register("case.vendor_status.reminded", _vendor_status_reminded)

# --------------------------------------------------------------------------- audit

audit.register("auth.login", "Signed in")
audit.register("auth.login_failed", "Sign-in failed")
audit.register("auth.logout", "Signed out")
audit.register("auth.locked_out", "Locked out after repeated failed sign-ins")
audit.register("auth.2fa.enrolled", "Authenticator enrolled")
audit.register("auth.2fa.verified", "Second factor verified")
audit.register("auth.2fa.failed", "Second factor refused")
audit.register("auth.2fa.reset", "Second factor reset")
audit.register("auth.sessions.ended", "Sessions ended")
audit.register("auth.password.changed", "Password changed")
audit.register("admin.user.2fa_reset", "Second factor reset by an administrator")
audit.register("account.invitation.sent", "Invitation sent")
audit.register("account.invitation.accepted", "Invitation accepted")
audit.register("account.invitation.revoked", "Invitation revoked")
audit.register(
    "organisation.member.role_changed",
    lambda d: f"Member role changed from {d.get('old_role', '?')} to {d.get('role', '?')}",
)
audit.register("organisation.member.removed", "Member removed from the organisation")
# Onboarding and open intake (cases/onboarding.py, cases/public_intake.py).
audit.register("organisation.created", "Organisation created")
audit.register(
    "organisation.updated",
    lambda d: "Organisation edited" + (f" ({', '.join(d['fields'])})" if d.get("fields") else ""),
)
audit.register("project.created", "Project created")
audit.register(
    "project.updated",
    lambda d: "Project edited" + (f" ({', '.join(d['fields'])})" if d.get("fields") else ""),
)
audit.register("onboarding.invitation.sent", "Organisation invited to register")
audit.register("onboarding.invitation.accepted", "Organisation registered through an invitation")
audit.register("onboarding.invitation.revoked", "Organisation invitation revoked")
audit.register(
    "report.public.confirmed",
    lambda d: (
        "Report sent without an account confirmed"
        + (" (account created)" if d.get("new_account") else "")
    ),
)
audit.register("case.participant.added", lambda d: f"Participant added as {_role(d)}".strip())
audit.register("case.participant.removed", lambda d: f"Participant ({_role(d)}) removed")
audit.register("case.report.merge_undone", "Merge of a duplicate report undone (back in triage)")
audit.register(
    "case.bulk.applied",
    lambda d: f"Bulk action {d.get('bulk_action', '?')} on {d.get('count', '?')} case(s)",
)
audit.register("api.token.created", "API token created")
audit.register("api.token.revoked", "API token revoked")
audit.register("attachment.downloaded", "Attachment downloaded")
audit.register("audit.exported", "Audit trail exported")
