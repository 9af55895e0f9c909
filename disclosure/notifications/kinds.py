"""The kinds of notification: events other apps emit and deadlines the sweep finds.

The registry of event names: every ``cases.events.emit(name, ...)`` names a kind here
(``tests/test_event_stream.py`` keeps the two equal). One table, read by
``record_event``, the sweep, the preference form, the webhook form and
the templates. A label says what happened in words that carry no case details: mails
and webhooks show the label and the case reference, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass


class Audience:
    """Who on a case hears about a kind (always narrowed by ``cases.access``)."""

    SIRT = "sirt"  # every SIRT coordinator (triage: nothing is assigned yet)
    COORDINATORS = "coordinators"  # the case's coordinators
    PARTICIPANTS = "participants"  # everybody taking part, coordinators included
    DRAFT_READERS = "draft_readers"  # participants who may read the advisory draft
    EMBARGO_PARTIES = "embargo_parties"  # coordinators and maintainers
    ORGANISATION = "organisation"  # one organisation named in the event
    PARTICIPANT = "participant"  # one participant row (an organisation or a person)
    REVIEWER = "reviewer"  # the advisory's reviewer, else the coordinators
    COMMENT_READERS = "comment_readers"  # whoever may read the comment, except its author
    REPORT_AUTHOR = "report_author"  # the person who submitted one report (no case named)
    BATCH_SUBMITTER = "batch_submitter"  # who sent a batch of findings, and its organisation


class Role:
    """A recipient's place on the case, for the default of when an email goes out."""

    COORDINATOR = "coordinator"  # the case's coordinators and every SIRT member
    MAINTAINER = "maintainer"
    PARTNER = "partner"  # partners and downstream
    REPORTER = "reporter"
    OTHER = "other"  # no role on the case (e.g. a report's author before any case)


ALL_ROLES = frozenset({Role.COORDINATOR, Role.MAINTAINER, Role.PARTNER, Role.REPORTER, Role.OTHER})
# Coordinators run the case: every notice reaches them at once unless they choose
# otherwise. The others hear at once only what asks them to act (below).
COORDINATOR_ONLY = frozenset({Role.COORDINATOR})
# A deadline reminder is urgent (mailed at once) this close to the deadline.
URGENT_HOURS = 48


class Email:
    """When a notice's email goes out."""

    NOW = "now"
    DIGEST = "digest"


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    audience: str
    escalation: bool = False  # escalations ignore mutes, digests and channel choices
    webhook: bool = True  # partners may subscribe to it
    deadline: bool = False  # written by the sweep, not by a caller
    # Quiet by default: the roles mailed at once; everyone else gets it in the
    # daily digest (and in the portal at once). A preference overrides it.
    at_once: frozenset[str] = COORDINATOR_ONLY
    # Deadline reminders: these roles are also mailed at once when the deadline is
    # within ``URGENT_HOURS``.
    urgent_for: frozenset[str] = frozenset()

    def default_email(self, roles: set[str], hours_left: float | None = None) -> str:
        """``Email.NOW`` or ``Email.DIGEST`` for a recipient with ``roles`` on the case."""
        if self.escalation or roles & self.at_once:
            return Email.NOW
        if hours_left is not None and hours_left <= URGENT_HOURS and roles & self.urgent_for:
            return Email.NOW
        return Email.DIGEST


_MAINTAINERS = frozenset({Role.COORDINATOR, Role.MAINTAINER})
_PARTNERS = frozenset({Role.COORDINATOR, Role.PARTNER})
_VENDORS = frozenset({Role.COORDINATOR, Role.MAINTAINER, Role.PARTNER})


KINDS: dict[str, Kind] = {
    k.code: k
    for k in [
        # events (see README for the kwargs)
        Kind("report.received", "New report received", Audience.SIRT, webhook=False),
        Kind(
            "report.duplicate_confirmed",
            "Your report was confirmed as a duplicate of a finding already under coordination",
            Audience.REPORT_AUTHOR,
            webhook=False,
            at_once=ALL_ROLES,
        ),
        Kind(
            "report.batch.received",
            "New batch of reports received",
            Audience.SIRT,
            webhook=False,
        ),
        Kind(
            "report.batch.completed",
            "Your batch of findings was processed",
            Audience.BATCH_SUBMITTER,
            at_once=ALL_ROLES,
        ),
        Kind("case.opened", "Case opened", Audience.SIRT),
        Kind(
            "participant.invited",
            "You were invited to a case",
            Audience.PARTICIPANT,
            at_once=ALL_ROLES,
        ),
        Kind("comment.posted", "New comment", Audience.COMMENT_READERS),
        Kind("case.state_changed", "Case state changed", Audience.PARTICIPANTS),
        Kind(
            "embargo.proposed",
            "Embargo date proposed",
            Audience.EMBARGO_PARTIES,
            at_once=_MAINTAINERS,
        ),
        Kind("embargo.changed", "Embargo date changed", Audience.PARTICIPANTS),
        Kind("embargo.broken", "Embargo broken", Audience.PARTICIPANTS, escalation=True),
        Kind("embargo.lifted", "Embargo lifted", Audience.PARTICIPANTS),
        Kind(
            "embargo.overridden",
            "Public date set by a coordinator's override",
            Audience.PARTICIPANTS,
        ),
        Kind("release.planned", "Release planned", Audience.PARTICIPANTS),
        Kind("release.released", "Fix released", Audience.PARTICIPANTS, at_once=_PARTNERS),
        Kind(
            "release.gate_overridden",
            "Publication allowed before the fix is released",
            Audience.PARTICIPANTS,
        ),
        Kind("prenotification.sent", "Pre-notification", Audience.ORGANISATION, at_once=ALL_ROLES),
        Kind("deployment.reported", "Deployment reported", Audience.COORDINATORS),
        Kind(
            "advisory.submitted", "Advisory ready for review", Audience.REVIEWER, at_once=ALL_ROLES
        ),
        Kind("advisory.scheduled", "Advisory scheduled", Audience.DRAFT_READERS),
        Kind("advisory.published", "Advisory published", Audience.PARTICIPANTS),
        Kind("advisory.withdrawn", "Published advisory withdrawn", Audience.PARTICIPANTS),
        # vendor status per vulnerability (cases/services/vendor_status.py)
        Kind(
            "vendor_status.given",
            "Vendor status given",
            Audience.COORDINATORS,
            webhook=False,
        ),
        Kind(
            "vendor_status.reminded",
            "Reminder: please give your organisation's vendor status",
            Audience.ORGANISATION,
            at_once=ALL_ROLES,
        ),
        # deadlines (the sweep)
        Kind(
            "reminder.acknowledge",
            "Reminder: please acknowledge the case",
            Audience.PARTICIPANT,
            deadline=True,
            at_once=ALL_ROLES,
        ),
        Kind(
            "escalation.acknowledge",
            "Escalation: a maintainer has not acknowledged",
            Audience.COORDINATORS,
            escalation=True,
            webhook=False,
            deadline=True,
        ),
        Kind(
            "reminder.embargo",
            "Reminder: the embargo ends soon",
            Audience.PARTICIPANTS,
            deadline=True,
            urgent_for=_VENDORS,
        ),
        Kind(
            "reminder.release",
            "Reminder: the release is due soon",
            Audience.PARTICIPANTS,
            deadline=True,
            urgent_for=frozenset({Role.MAINTAINER}),
        ),
        Kind(
            "prenotification.due",
            "Pre-notification",
            Audience.ORGANISATION,
            deadline=True,
            at_once=ALL_ROLES,
        ),
        Kind(
            "reminder.deployment",
            "Reminder: please report your deployment",
            Audience.ORGANISATION,
            deadline=True,
            at_once=ALL_ROLES,
        ),
        Kind(
            "escalation.deployment",
            "Escalation: deployment not reported",
            Audience.COORDINATORS,
            escalation=True,
            webhook=False,
            deadline=True,
        ),
        Kind(
            "reminder.advisory_review",
            "Reminder: an advisory waits for your review",
            Audience.REVIEWER,
            webhook=False,
            deadline=True,
            at_once=ALL_ROLES,
        ),
        Kind(
            "escalation.overdue",
            "Escalation: a deadline has passed",
            Audience.COORDINATORS,
            escalation=True,
            webhook=False,
            deadline=True,
        ),
        Kind(
            "escalation.publication_gated",
            "Escalation: an advisory is due but its fix is not released",
            Audience.COORDINATORS,
            escalation=True,
            webhook=False,
            deadline=True,
        ),
        Kind(
            "reminder.vendor_status",
            "Reminder: please give your organisation's vendor status",
            Audience.ORGANISATION,
            deadline=True,
            at_once=ALL_ROLES,
        ),
        # about a webhook subscription, not a case
        Kind(
            "webhook.disabled",
            "A webhook was disabled after repeated failures",
            Audience.ORGANISATION,
            escalation=True,
            webhook=False,
        ),
        Kind("webhook.test", "Test event", Audience.ORGANISATION, webhook=False, at_once=ALL_ROLES),
    ]
}

# What users may tune on the preferences page (escalations are always delivered).
PREFERENCE_KINDS = [k for k in KINDS.values() if not k.escalation and k.code != "webhook.test"]
WEBHOOK_KINDS = [k for k in KINDS.values() if k.webhook]


def label(code: str) -> str:
    kind = KINDS.get(code)
    return kind.label if kind else code
