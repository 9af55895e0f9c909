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


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    audience: str
    escalation: bool = False  # escalations ignore mutes, digests and channel choices
    webhook: bool = True  # partners may subscribe to it
    deadline: bool = False  # written by the sweep, not by a caller


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
        ),
        Kind("case.opened", "Case opened", Audience.SIRT),
        Kind("participant.invited", "You were invited to a case", Audience.PARTICIPANT),
        Kind("comment.posted", "New comment", Audience.COMMENT_READERS),
        Kind("case.state_changed", "Case state changed", Audience.PARTICIPANTS),
        Kind("embargo.proposed", "Embargo date proposed", Audience.EMBARGO_PARTIES),
        Kind("embargo.changed", "Embargo date changed", Audience.PARTICIPANTS),
        Kind("embargo.broken", "Embargo broken", Audience.PARTICIPANTS, escalation=True),
        Kind("embargo.lifted", "Embargo lifted", Audience.PARTICIPANTS),
        Kind("release.planned", "Release planned", Audience.PARTICIPANTS),
        Kind("release.released", "Fix released", Audience.PARTICIPANTS),
        Kind("prenotification.sent", "Pre-notification", Audience.ORGANISATION),
        Kind("deployment.reported", "Deployment reported", Audience.COORDINATORS),
        Kind("advisory.submitted", "Advisory ready for review", Audience.REVIEWER),
        Kind("advisory.scheduled", "Advisory scheduled", Audience.DRAFT_READERS),
        Kind("advisory.published", "Advisory published", Audience.PARTICIPANTS),
        # deadlines (the sweep)
        Kind(
            "reminder.acknowledge",
            "Reminder: please acknowledge the case",
            Audience.PARTICIPANT,
            deadline=True,
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
        ),
        Kind(
            "reminder.release",
            "Reminder: the release is due soon",
            Audience.PARTICIPANTS,
            deadline=True,
        ),
        Kind(
            "prenotification.due",
            "Pre-notification",
            Audience.ORGANISATION,
            deadline=True,
        ),
        Kind(
            "reminder.deployment",
            "Reminder: please report your deployment",
            Audience.ORGANISATION,
            deadline=True,
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
        ),
        Kind(
            "escalation.overdue",
            "Escalation: a deadline has passed",
            Audience.COORDINATORS,
            escalation=True,
            webhook=False,
            deadline=True,
        ),
        # about a webhook subscription, not a case
        Kind(
            "webhook.disabled",
            "A webhook was disabled after repeated failures",
            Audience.ORGANISATION,
            escalation=True,
            webhook=False,
        ),
        Kind("webhook.test", "Test event", Audience.ORGANISATION, webhook=False),
    ]
}

# What users may tune on the preferences page (escalations are always delivered).
PREFERENCE_KINDS = [k for k in KINDS.values() if not k.escalation and k.code != "webhook.test"]
WEBHOOK_KINDS = [k for k in KINDS.values() if k.webhook]


def label(code: str) -> str:
    kind = KINDS.get(code)
    return kind.label if kind else code
