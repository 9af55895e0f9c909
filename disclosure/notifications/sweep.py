"""The deadline sweep: what is due, computed from the database, not from the clock of the run.

Each deadline has a stable key ("reminder.embargo.48h" + "embargo:7" + the public
date). The sweep finds deadlines whose window contains *now* with index-backed
range queries on the due times, skips those already marked in ``DeadlineMark``, and
writes the mark and the outbox rows in one transaction. So:

- a sweep that runs twice, or two sweeps at once, write each reminder once (the
  mark and the outbox rows are unique in the database);
- a late or missed sweep catches up: the windows are "from the deadline until the
  next one", so it sends the reminder that applies now, once, and not every reminder
  it missed (no flood after an outage);
- the cost is proportional to what is due: every query is a range on an indexed
  date column (``public_at``, ``target_at``, ``notify_at``, ``invited_at``, ...)
  limited to the catch-up window, never a loop over all cases.

Windows (defaults; each is a setting, see ``conf.py``):

==========================  ==========================================================
acknowledgement             maintainer invited, not acknowledged: reminder from 1 day
                            to 2 days; escalation to the coordinators from 2 days
embargo public date         participants at 7 days, 2 days, 24 hours before
release target              participants at 2 days, 24 hours before
pre-notification date       each listed organisation, once the date is reached
deployment                  partner / downstream without a deployment report 7 days
                            after the release: reminder; coordinators get the laggards
advisory in review          for more than 2 days: the reviewer (or the coordinators)
vendor status               a vendor organisation without a status on a vulnerability
                            ``VENDOR_STATUS_REMINDER_DAYS`` (7) days after it joined
                            the case or the vulnerability was added: once, ever
overdue                     embargo not lifted, release not done, scheduled advisory
                            not published after its date: escalation to coordinators
gated publication           scheduled advisory due but held by the release gate (fix
                            not released, no override): coordinators, once a day
==========================  ==========================================================
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cases.models import OPEN_STATES, Participant, ParticipantRole
from cases.services.vendor_status import DueReminder as VendorReminder
from cases.services.vendor_status import vendor_reminders_due
from disclosure.models import (
    Advisory,
    AdvisoryState,
    DeploymentReport,
    DeploymentStatus,
    Embargo,
    EmbargoState,
    PreNotification,
    ReleasePlan,
)
from disclosure.models.gate import PublicationOverride, release_gate_blockers
from disclosure.notifications import conf
from disclosure.notifications.audience import CaseAudience, audiences
from disclosure.notifications.kinds import KINDS, Audience
from disclosure.notifications.models import DeadlineMark
from disclosure.notifications.services import Outgoing, _kick_sender, write
from disclosure.services import record_pre_notification_sent

logger = logging.getLogger(__name__)


@dataclass
class Due:
    """One deadline found by a rule, before its recipients are resolved."""

    kind: str
    key: str
    subject: str
    due_at: dt.datetime
    case_id: int
    data: dict[str, Any] = field(default_factory=dict)
    # Narrow the kind's audience to one participant row or some organisations.
    participant_id: int | None = None
    org_ids: set[int] = field(default_factory=set)
    reviewer_id: int | None = None
    exclude_user_ids: set[int] = field(default_factory=set)
    silent: bool = False  # mark the deadline as handled, tell nobody


_QS = TypeVar("_QS", bound=QuerySet)


def unmarked(qs: _QS, key: str, subject_prefix: str, due_field: str) -> _QS:
    """Rows of ``qs`` whose deadline has no mark yet (an anti-join on the unique index)."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    subject = Concat(Value(subject_prefix), Cast(OuterRef("pk"), CharField()))
    marks = DeadlineMark.objects.filter(key=key, subject=subject, due_at=OuterRef(due_field))
    return qs.filter(~Exists(marks))


def _windows(offsets_hours: list[int]) -> list[tuple[int, dt.timedelta, dt.timedelta]]:
    """[(hours, upper, lower)]: offset h applies while now+lower < due <= now+upper."""
    offsets = sorted(set(offsets_hours), reverse=True)
    result = []
    for i, h in enumerate(offsets):
        lower = offsets[i + 1] if i + 1 < len(offsets) else 0
        result.append((h, dt.timedelta(hours=h), dt.timedelta(hours=lower)))
    return result


# --------------------------------------------------------------------------- rules


def acknowledgement(now: dt.datetime) -> list[Due]:
    reminder = conf.hours("NOTIFY_ACK_REMINDER_HOURS")
    escalation = conf.hours("NOTIFY_ACK_ESCALATION_HOURS")
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    base = Participant.objects.active().filter(
        role=ParticipantRole.MAINTAINER,
        acknowledged_at__isnull=True,
        case__state__in=OPEN_STATES,
    )
    found: list[Due] = []
    # The reminder's window ends where the escalation begins: a late sweep escalates.
    reminders = unmarked(
        base.filter(invited_at__gt=now - escalation, invited_at__lte=now - reminder),
        "reminder.acknowledge",
        "participant:",
        "invited_at",
    )
    for pk, case_id, invited_at in _limit(reminders.values_list("pk", "case_id", "invited_at")):
        found.append(
            Due(
                "reminder.acknowledge",
                "reminder.acknowledge",
                f"participant:{pk}",
                invited_at,
                case_id,
                {"participant_id": pk},
                participant_id=pk,
            )
        )
    escalations = unmarked(
        base.filter(invited_at__gt=now - escalation - catch_up, invited_at__lte=now - escalation),
        "escalation.acknowledge",
        "participant:",
        "invited_at",
    )
    for pk, case_id, invited_at in _limit(escalations.values_list("pk", "case_id", "invited_at")):
        found.append(
            Due(
                "escalation.acknowledge",
                "escalation.acknowledge",
                f"participant:{pk}",
                invited_at,
                case_id,
                {"participant_id": pk},
            )
        )
    return found


def embargo(now: dt.datetime) -> list[Due]:
    active = Embargo.objects.filter(state=EmbargoState.ACTIVE, case__state__in=OPEN_STATES)
    found: list[Due] = []
    for hours, upper, lower in _windows(conf.get("NOTIFY_EMBARGO_REMINDER_HOURS")):
        key = f"reminder.embargo.{hours}h"
        qs = unmarked(
            active.filter(public_at__gt=now + lower, public_at__lte=now + upper),
            key,
            "embargo:",
            "public_at",
        )
        for pk, case_id, public_at in _limit(qs.values_list("pk", "case_id", "public_at")):
            found.append(
                Due(
                    "reminder.embargo",
                    key,
                    f"embargo:{pk}",
                    public_at,
                    case_id,
                    {"embargo_id": pk, "hours_before": hours},
                )
            )
    found += _overdue(
        active, "public_at", "embargo", now, lambda pk: {"embargo_id": pk, "what": "embargo"}
    )
    return found


def release(now: dt.datetime) -> list[Due]:
    pending = ReleasePlan.objects.filter(released_at__isnull=True, case__state__in=OPEN_STATES)
    found: list[Due] = []
    for hours, upper, lower in _windows(conf.get("NOTIFY_RELEASE_REMINDER_HOURS")):
        key = f"reminder.release.{hours}h"
        qs = unmarked(
            pending.filter(target_at__gt=now + lower, target_at__lte=now + upper),
            key,
            "release:",
            "target_at",
        )
        for pk, case_id, target_at in _limit(qs.values_list("pk", "case_id", "target_at")):
            found.append(
                Due(
                    "reminder.release",
                    key,
                    f"release:{pk}",
                    target_at,
                    case_id,
                    {"release_id": pk, "hours_before": hours},
                )
            )
    found += _overdue(
        pending, "target_at", "release", now, lambda pk: {"release_id": pk, "what": "release"}
    )
    return found


def prenotification(now: dt.datetime) -> list[Due]:
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    qs = unmarked(
        PreNotification.objects.filter(
            notify_at__gt=now - catch_up,
            notify_at__lte=now,
            sent_at__isnull=True,  # a coordinator may have pre-notified by hand
            plan__case__state__in=OPEN_STATES,
        ),
        "prenotification.due",
        "prenotification:",
        "notify_at",
    )
    found = []
    rows = qs.values_list("pk", "plan__case_id", "notify_at", "organisation_id", "plan_id")
    for pk, case_id, notify_at, org_id, plan_id in _limit(rows):
        found.append(
            Due(
                "prenotification.due",
                "prenotification.due",
                f"prenotification:{pk}",
                notify_at,
                case_id,
                {"prenotification_id": pk, "release_id": plan_id, "organisation_id": org_id},
                org_ids={org_id},
            )
        )
    return found


def deployment(now: dt.datetime) -> list[Due]:
    """Partners and downstream who have not deployed a week after the release."""
    after = conf.hours("NOTIFY_DEPLOYMENT_REMINDER_HOURS")
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    plans = unmarked(
        ReleasePlan.objects.filter(
            released_at__gt=now - after - catch_up, released_at__lte=now - after
        ),
        "escalation.deployment",
        "release:",
        "released_at",
    )
    plan_rows = list(_limit(plans.values_list("pk", "case_id", "released_at")))
    if not plan_rows:
        return []
    case_ids = [r[1] for r in plan_rows]
    orgs_by_case: dict[int, set[int]] = {}
    for case_id, org_id in (
        Participant.objects.active()
        .filter(
            case_id__in=case_ids,
            role__in=[ParticipantRole.PARTNER, ParticipantRole.DOWNSTREAM],
            organisation__isnull=False,
        )
        .values_list("case_id", "organisation_id")
    ):
        orgs_by_case.setdefault(case_id, set()).add(org_id)
    done = set(
        DeploymentReport.objects.filter(
            case_id__in=case_ids,
            status__in=[DeploymentStatus.DEPLOYED, DeploymentStatus.NOT_AFFECTED],
        ).values_list("case_id", "organisation_id")
    )
    found = []
    for pk, case_id, released_at in plan_rows:
        due_at = released_at + after
        laggards = {o for o in orgs_by_case.get(case_id, set()) if (case_id, o) not in done}
        for org_id in sorted(laggards):
            found.append(
                Due(
                    "reminder.deployment",
                    "reminder.deployment",
                    f"release:{pk}:org:{org_id}",
                    due_at,
                    case_id,
                    {"release_id": pk, "organisation_id": org_id},
                    org_ids={org_id},
                )
            )
        # One mark per plan ("escalation.deployment" + "release:<pk>" + released_at)
        # covers the whole rule, so a plan is looked at once, laggards or not.
        found.append(
            Due(
                "escalation.deployment",
                "escalation.deployment",
                f"release:{pk}",
                released_at,
                case_id,
                {"release_id": pk, "laggard_organisation_ids": sorted(laggards)},
                silent=not laggards,
            )
        )
    return found


def advisory_review(now: dt.datetime) -> list[Due]:
    after = conf.hours("NOTIFY_ADVISORY_REVIEW_HOURS")
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    qs = unmarked(
        Advisory.objects.filter(
            state=AdvisoryState.IN_REVIEW,
            submitted_at__gt=now - after - catch_up,
            submitted_at__lte=now - after,
        ),
        "reminder.advisory_review",
        "advisory:",
        "submitted_at",
    )
    found = []
    rows = qs.values_list("pk", "case_id", "submitted_at", "reviewer_id", "author_id")
    for pk, case_id, submitted_at, reviewer_id, author_id in _limit(rows):
        found.append(
            Due(
                "reminder.advisory_review",
                "reminder.advisory_review",
                f"advisory:{pk}",
                submitted_at,
                case_id,
                {"advisory_id": pk},
                reviewer_id=reviewer_id,
                exclude_user_ids={author_id},
            )
        )
    return found


def advisory_overdue(now: dt.datetime) -> list[Due]:
    """A scheduled advisory still unpublished well after its embargo's public date."""
    grace = dt.timedelta(minutes=conf.get("NOTIFY_OVERDUE_GRACE_MINUTES"))
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    key = "escalation.overdue.advisory"
    qs = Advisory.objects.filter(
        state=AdvisoryState.SCHEDULED,
        case__embargo__public_at__gt=now - grace - catch_up,
        case__embargo__public_at__lte=now - grace,
    )
    qs = unmarked(qs, key, "advisory:", "case__embargo__public_at")
    rows = qs.values_list("pk", "case_id", "case__embargo__public_at")
    return [
        Due(
            "escalation.overdue",
            key,
            f"advisory:{pk}",
            public_at,
            case_id,
            {"advisory_id": pk, "what": "advisory"},
        )
        for pk, case_id, public_at in _limit(rows)
    ]


def gated_publication(now: dt.datetime) -> list[Due]:
    """A scheduled advisory that is due (its embargo has lifted) but held by the release
    gate does not go public (``Advisory.publish`` refuses it): the coordinators hear of
    it once per advisory and UTC day until the fix is released or a coordinator
    overrides the gate. The day is the mark's due time, so a second sweep that day
    writes nothing."""
    from django.db.models import CharField, Q, Value
    from django.db.models.functions import Cast, Concat

    key = "escalation.publication_gated"
    day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    lifted = (
        Q(case__embargo__isnull=True)
        | Q(case__embargo__state=EmbargoState.LIFTED)
        | Q(
            case__embargo__state__in=[EmbargoState.ACTIVE, EmbargoState.BROKEN],
            case__embargo__public_at__lte=now,
        )
    )
    marks = DeadlineMark.objects.filter(
        key=key,
        subject=Concat(Value("advisory:"), Cast(OuterRef("pk"), CharField())),
        due_at=day,
    )
    overridden = PublicationOverride.objects.filter(
        case_id=OuterRef("case_id"), revoked_at__isnull=True
    )
    candidates = (
        Advisory.objects.filter(lifted, state=AdvisoryState.SCHEDULED)
        .filter(~Exists(marks), ~Exists(overridden))
        .select_related("case")
        .order_by("pk")
    )
    found = []
    for advisory in _limit(candidates):
        blockers = release_gate_blockers(advisory.case)
        if blockers:
            found.append(
                Due(
                    "escalation.publication_gated",
                    key,
                    f"advisory:{advisory.pk}",
                    day,
                    advisory.case_id,
                    {"advisory_id": advisory.pk, "blockers": len(blockers)},
                )
            )
    return found


def _overdue(
    qs: QuerySet,
    due_field: str,
    what: str,
    now: dt.datetime,
    data: Callable[[int], dict[str, Any]],
) -> list[Due]:
    grace = dt.timedelta(minutes=conf.get("NOTIFY_OVERDUE_GRACE_MINUTES"))
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    key = f"escalation.overdue.{what}"
    prefix = "embargo:" if what == "embargo" else "release:"
    late = qs.filter(
        **{f"{due_field}__gt": now - grace - catch_up, f"{due_field}__lte": now - grace}
    )
    rows = unmarked(late, key, prefix, due_field).values_list("pk", "case_id", due_field)
    return [
        Due("escalation.overdue", key, f"{prefix}{pk}", due_at, case_id, data(pk))
        for pk, case_id, due_at in _limit(rows)
    ]


def _limit(qs: QuerySet) -> QuerySet:
    return qs[: conf.get("NOTIFY_SWEEP_BATCH")]


def vendor_status(now: dt.datetime) -> list[Due]:
    """Vendors that have not given a status ``VENDOR_STATUS_REMINDER_DAYS`` after joining
    the case (or after the vulnerability was added): one reminder per organisation and
    vulnerability, ever. The vulnerabilities of one organisation that fall due together
    are one notice (the first of them; the others are marked silently)."""
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    key = "reminder.vendor_status"
    due = vendor_reminders_due(now, catch_up=catch_up, limit=conf.get("NOTIFY_SWEEP_BATCH"))
    if not due:
        return []
    subjects = {d: f"vulnerability:{d.vulnerability_id}:org:{d.organisation_id}" for d in due}
    # Once per organisation and vulnerability: a mark under another due time (the
    # organisation left and joined again) counts too.
    marked = set(
        DeadlineMark.objects.filter(key=key, subject__in=subjects.values()).values_list(
            "subject", flat=True
        )
    )
    groups: dict[tuple[int, int], list[VendorReminder]] = {}
    for d in due:
        if subjects[d] not in marked:
            groups.setdefault((d.case_id, d.organisation_id), []).append(d)
    found: list[Due] = []
    for (case_id, org_id), items in groups.items():
        vulnerability_ids = sorted(d.vulnerability_id for d in items)
        for i, d in enumerate(items):
            found.append(
                Due(
                    key,
                    key,
                    subjects[d],
                    d.due_at,
                    case_id,
                    {"organisation_id": org_id, "vulnerability_ids": vulnerability_ids},
                    org_ids={org_id},
                    silent=i > 0,
                )
            )
    return found


RULES: list[Callable[[dt.datetime], list[Due]]] = [
    acknowledgement,
    embargo,
    release,
    prenotification,
    deployment,
    advisory_review,
    advisory_overdue,
    gated_publication,
    vendor_status,
]


# --------------------------------------------------------------------------- the sweep


def run(now: dt.datetime | None = None) -> int:
    """What the scheduled task does: the sweep, then the release plans' bookkeeping."""
    now = now or timezone.now()
    handled = sweep(now)
    record_prenotifications(now)
    return handled


def sweep(now: dt.datetime | None = None) -> int:
    """Find every due deadline and write its reminders; returns the deadlines handled."""
    now = now or timezone.now()
    # Every rule first, then one transaction for all their marks and outbox rows: the
    # audiences, preferences and roles are read once per sweep, not once per rule. Each
    # rule has its own mark keys, so no rule's result depends on another's marks.
    due = [d for rule in RULES for d in rule(now)]
    if not due:
        return 0
    with transaction.atomic():
        handled = _write(due, now)
    if handled and conf.get("NOTIFY_KICK_SENDER"):
        _kick_sender()
    return handled


def record_prenotifications(now: dt.datetime | None = None) -> int:
    """Record on the release plan each pre-notification the sweep has sent.

    Kept out of ``sweep()``: it is the disclosure app's state change (one locked,
    logged transaction per pre-notification, ``record_pre_notification_sent``), and
    it works from the database like the sweep, so a crash in between is caught up
    by the next run.
    """
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    now = now or timezone.now()
    catch_up = dt.timedelta(days=conf.get("NOTIFY_CATCH_UP_DAYS"))
    marked = DeadlineMark.objects.filter(
        key="prenotification.due",
        subject=Concat(Value("prenotification:"), Cast(OuterRef("pk"), CharField())),
        due_at=OuterRef("notify_at"),
    )
    pending = PreNotification.objects.filter(
        sent_at__isnull=True, notify_at__gt=now - catch_up, notify_at__lte=now
    ).filter(Exists(marked))
    return sum(
        record_pre_notification_sent(pk) for pk in _limit(pending.values_list("pk", flat=True))
    )


def _write(due: list[Due], now: dt.datetime) -> int:
    marks = DeadlineMark.objects.bulk_create(
        [DeadlineMark(key=d.key, subject=d.subject, due_at=d.due_at, created_at=now) for d in due],
        ignore_conflicts=True,
    )
    del marks  # rows that another sweep marked first are written by it, or here: both once
    auds = audiences({d.case_id for d in due})
    outgoing = []
    for d in due:
        if d.silent:
            continue
        users, orgs = _recipients(d, auds[d.case_id])
        users -= d.exclude_user_ids
        outgoing.append(
            Outgoing(d.kind, d.key, d.subject, d.due_at, d.case_id, d.data, users=users, orgs=orgs)
        )
    write(outgoing, now=now)
    return len(due)


def _recipients(d: Due, aud: CaseAudience) -> tuple[set[int], set[int]]:
    audience = KINDS[d.kind].audience
    if d.participant_id is not None:
        org = aud.participant_orgs.get(d.participant_id)
        return aud.participant(d.participant_id), ({org} & aud.visible_orgs) if org else set()
    if audience == Audience.ORGANISATION:
        users = set().union(*(aud.organisation(o) for o in d.org_ids)) if d.org_ids else set()
        return users, d.org_ids & aud.visible_orgs
    if audience == Audience.REVIEWER:
        if d.reviewer_id and d.reviewer_id in aud.viewers:
            return {d.reviewer_id}, set()
        return aud.coordinators | aud.sirt, set()
    if audience == Audience.COORDINATORS:
        return aud.coordinators, set()
    return aud.participants, aud.orgs_with_action("view_case")
