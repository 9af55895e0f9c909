"""The action codes the disclosure app writes, with how each reads (``cases.actions``).

Imported once by ``DisclosureConfig.ready()``. To add a code: write it with
``case.log`` or ``audit.record`` in the service, register it below with its display,
and exercise it in a test (cases/README.md, "Action codes").

Displays carry no text a participant typed (reasons, notes, clock causes): every
participant of the case reads the timeline, reporters included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cases.actions import audit, timeline


def _accepted(data: Mapping[str, Any]) -> str:
    notes = []
    if data.get("override"):
        notes.append("beyond the limit")
    if data.get("agreement_override"):
        notes.append("override without the agreement")
    return "Proposed public date accepted" + (f" ({', '.join(notes)})" if notes else "")


def _rejected(data: Mapping[str, Any]) -> str:
    if data.get("superseded_by"):
        return "Proposed public date superseded by the accepted one"
    return "Proposed public date rejected"


def _advisory_published(data: Mapping[str, Any]) -> str:
    return (
        f"Advisory {data['advisory']} published" if data.get("advisory") else "Advisory published"
    )


# --------------------------------------------------------------------------- timeline

# Embargo (disclosure.services.embargo).
timeline.register("case.embargo.clock_started", "Embargo clock started")
timeline.register("case.embargo.clock_stopped", "Embargo clock stopped")
timeline.register("case.embargo.activated", "Embargo in force")
timeline.register(
    "case.embargo.agreement_superseded", "The agreed public date was superseded by a clock"
)
timeline.register("case.embargo.date_changed", "Public date changed")
timeline.register("case.embargo.proposed", "Public date proposed")
timeline.register("case.embargo.proposal_agreed", "Agreed to a proposed public date")
timeline.register("case.embargo.proposal_objected", "Objected to a proposed public date")
timeline.register("case.embargo.proposal_accepted", _accepted)
timeline.register("case.embargo.proposal_rejected", _rejected)
timeline.register("case.embargo.proposal_withdrawn", "Proposed public date withdrawn")
timeline.register("case.embargo.broken", "Embargo broken")
timeline.register("case.embargo.lifted", "Embargo lifted")

# Release and deployment (disclosure.services.release, .deployment).
timeline.register("case.release.planned", "Release planned")
timeline.register(
    "case.release.target_proposed",
    lambda d: "Release target proposed" if d.get("target_at") else "Release plan started",
)
timeline.register(
    "case.release.project_updated", lambda d: f"Release of {d.get('project', 'a project')} updated"
)
timeline.register("case.release.released", "Released")
timeline.register("case.release.prenotification_added", "Pre-notification scheduled")
timeline.register("case.release.prenotification_sent", "Pre-notification sent")
timeline.register("case.release.prenotification_acknowledged", "Pre-notification acknowledged")
timeline.register(
    "case.release.gate_overridden",
    "Release gate overridden: the advisory may be published before the fix is released",
)
timeline.register(
    "case.release.gate_override_revoked", "Release gate override revoked: the gate holds again"
)
timeline.register("case.deployment.reported", "Deployment reported")

# Advisory (disclosure.models.advisory).
timeline.register("case.advisory.created", "Advisory draft started")
timeline.register("case.advisory.edited", "Advisory edited")
timeline.register("case.advisory.submitted", "Advisory submitted for review")
timeline.register("case.advisory.approved", "Advisory approved")
timeline.register("case.advisory.changes_requested", "Changes to the advisory requested")
timeline.register("case.advisory.withdrawn", "Advisory taken back to draft")
timeline.register("case.advisory.scheduled", "Advisory scheduled for publication")
timeline.register("case.advisory.published", _advisory_published)
timeline.register(
    "case.advisory.revised", lambda d: f"Advisory revised (revision {d.get('revision', '?')})"
)
# Changes of a published advisory (revision, withdrawal), reviewed like a publication.
timeline.register("case.advisory.revision_submitted", "Advisory revision submitted for review")
timeline.register(
    "case.advisory.withdrawal_requested", "Withdrawal of the published advisory requested"
)
timeline.register("case.advisory.change_approved", "Change to the published advisory approved")
timeline.register("case.advisory.change_sent_back", "Change to the published advisory sent back")
timeline.register("case.advisory.change_cancelled", "Change to the published advisory cancelled")
timeline.register("case.advisory.publication_withdrawn", "Published advisory withdrawn")

# --------------------------------------------------------------------------- audit

audit.register("embargo.changed", "Embargo public date changed")
audit.register("embargo.broken", "Embargo broken")
audit.register("embargo.lifted", "Embargo lifted")
audit.register("advisory.published", "Advisory published")
audit.register("advisory.publication_withdrawn", "Published advisory withdrawn")
audit.register("release.gate_overridden", "Release gate overridden")
audit.register("release.gate_override_revoked", "Release gate override revoked")
