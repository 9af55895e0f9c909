"""Writing the outbox (events, deadlines) and sending it (email, webhooks, digests).

Writing happens inside the caller's transaction: the rows commit or roll back with
the change that caused them. Sending claims rows in a short transaction
(``SELECT ... FOR UPDATE SKIP LOCKED`` and a lease), sends outside any transaction,
and marks the row sent only if its claim is still the current one. A sender that
dies between claim and send leaves a lease that expires; the row is then claimed
again and sent once. Retries back off exponentially up to ``NOTIFY_MAX_ATTEMPTS``,
then the row is ``failed`` and listed on ``/notifications/failures/``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import operator
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import DateTimeField, F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from cases import access
from cases.models import (
    Case,
    Comment,
    CommentVisibility,
    Membership,
    Participant,
    ParticipantRole,
    Report,
    ReportBatch,
)
from cases.types import User
from disclosure.models import Advisory, PreNotification
from disclosure.notifications import conf, webhooks
from disclosure.notifications.audience import CaseAudience, audiences, id_in, sirt_user_ids
from disclosure.notifications.kinds import KINDS, Audience, Email, Kind, Role
from disclosure.notifications.models import (
    CaseMute,
    Channel,
    EmailWhen,
    KindPreference,
    Notification,
    NotificationSettings,
    Status,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)


@dataclass
class Outgoing:
    """One thing to tell, before it is expanded into rows per recipient and channel."""

    kind: str
    key: str
    subject: str
    due_at: dt.datetime
    case_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    users: set[int] = field(default_factory=set)
    orgs: set[int] = field(default_factory=set)  # organisations whose webhooks hear it


# --------------------------------------------------------------------------- events


def record_event(name: str, **ids: Any) -> int:
    """Resolve an event's recipients and write its outbox rows; returns rows written."""
    kind = KINDS.get(name)
    if kind is None or kind.deadline:
        logger.warning("Unknown notification event %r ignored", name)
        return 0
    now = timezone.now()
    ids = {k: v for k, v in ids.items() if v is not None}
    actor_id = ids.pop("actor_id", None)
    # Ids only: a caller passing text by mistake must not put it in mails or webhooks.
    data = {
        k: v
        for k, v in ids.items()
        if (k.endswith("_id") and isinstance(v, int))
        or (k == "transition" and isinstance(v, str) and v.isidentifier())
    }
    if name == "report.received":
        out = Outgoing(
            name, name, f"report:{ids['report_id']}", now, None, data, users=sirt_user_ids()
        )
        return write([out], now=now)
    if name == "report.batch.received":
        subject = f"batch:{ids['batch_id']}"
        out = Outgoing(name, name, subject, now, None, data, users=sirt_user_ids())
        return write([out], now=now)
    if kind.audience == Audience.REPORT_AUTHOR:
        return _tell_report_author(name, ids["report_id"], actor_id, now)
    if kind.audience == Audience.BATCH_SUBMITTER:
        return _tell_batch_submitter(name, ids["batch_id"], now)
    case_id = ids.get("case_id")
    if case_id is None:
        logger.warning("Notification event %r without case_id ignored", name)
        return 0
    aud = audiences([case_id])[case_id]
    key, subject = name, f"case:{case_id}"
    users: set[int] = set()
    orgs: set[int] = set()
    if kind.audience == Audience.SIRT:
        users = set(aud.sirt)
        orgs = aud.orgs_with_action("manage_case")
    elif kind.audience == Audience.PARTICIPANT:
        pid = ids["participant_id"]
        subject = f"participant:{pid}"
        users = aud.participant(pid)
        org = aud.participant_orgs.get(pid)
        orgs = {org} & aud.visible_orgs if org else set()
    elif kind.audience == Audience.COMMENT_READERS:
        comment = Comment.objects.select_related("case", "author").get(pk=ids["comment_id"])
        subject = f"comment:{comment.pk}"
        users, orgs = _comment_readers(comment, aud)
    elif kind.audience == Audience.ORGANISATION:
        org_ids = {ids["organisation_id"]} if "organisation_id" in ids else _listed_orgs(ids)
        users = set().union(*(aud.organisation(o) for o in org_ids)) if org_ids else set()
        orgs = org_ids & aud.visible_orgs
        if "organisation_id" in ids:
            subject = f"case:{case_id}:org:{ids['organisation_id']}"
    elif kind.audience == Audience.REVIEWER:
        subject = f"advisory:{ids.get('advisory_id')}"
        users = _reviewers(ids.get("advisory_id"), aud)
    else:
        users, orgs = _by_audience(kind.audience, aud)
    if name == "case.state_changed" and "transition" in data:
        key = f"{name}.{data['transition']}"
    if name.startswith("advisory.") and "advisory_id" in ids:
        subject = f"advisory:{ids['advisory_id']}"
    if actor_id is not None and not kind.escalation:
        users.discard(actor_id)
    out = Outgoing(name, key, subject, now, case_id, data, users=users, orgs=orgs)
    written = write([out], now=now)
    if written and conf.get("NOTIFY_KICK_SENDER"):
        transaction.on_commit(_kick_sender)
    return written


def _tell_report_author(name: str, report_id: int, actor_id: int | None, now: dt.datetime) -> int:
    """Tell a reporter about their own report. The row names the report only, never a
    case (no ``case_id``): the mail, the centre and the API show "Report #<id>" and link
    to the report's page, which shows the case only to someone who may see it."""
    author = Report.objects.filter(pk=report_id).values_list("reporter_id", flat=True).first()
    users = {author} - {actor_id} if author is not None else set()
    data = {"report_id": report_id}
    out = Outgoing(name, name, f"report:{report_id}", now, None, data, users=users)
    written = write([out], now=now)
    if written and conf.get("NOTIFY_KICK_SENDER"):
        transaction.on_commit(_kick_sender)
    return written


def _tell_batch_submitter(name: str, batch_id: int, now: dt.datetime) -> int:
    """Tell whoever sent a batch of findings, and the webhooks of the organisation it was
    sent for (``data`` holds ``batch_id`` only; the results are read through the API)."""
    batch = ReportBatch.objects.filter(pk=batch_id).values("submitted_by_id", "organisation_id")
    row = batch.first()
    if row is None:
        return 0
    orgs = {row["organisation_id"]} if row["organisation_id"] else set()
    out = Outgoing(
        name,
        name,
        f"batch:{batch_id}",
        now,
        None,
        {"batch_id": batch_id},
        users={row["submitted_by_id"]},
        orgs=orgs,
    )
    written = write([out], now=now)
    if written and conf.get("NOTIFY_KICK_SENDER"):
        transaction.on_commit(_kick_sender)
    return written


def _by_audience(audience: str, aud: CaseAudience) -> tuple[set[int], set[int]]:
    if audience == Audience.COORDINATORS:
        return aud.coordinators, aud.orgs_with_action("manage_case")
    if audience == Audience.DRAFT_READERS:
        return aud.with_action("view_advisory_draft"), aud.orgs_with_action("view_advisory_draft")
    if audience == Audience.EMBARGO_PARTIES:
        return aud.with_action("propose_embargo"), aud.orgs_with_action("propose_embargo")
    # PARTICIPANTS
    return aud.participants, aud.orgs_with_action("view_case")


def _comment_readers(comment: Comment, aud: CaseAudience) -> tuple[set[int], set[int]]:
    """Whoever may read the comment in the portal (checked one by one), except its author."""
    from django.contrib.auth import get_user_model

    candidates = aud.participants - {comment.author_id}
    users = {
        u.pk
        for u in get_user_model().objects.filter(pk__in=candidates)
        if access.comment_visible_to(comment, u)
    }
    if comment.visibility == CommentVisibility.ALL:
        orgs = aud.orgs_with_action("view_case")
    elif comment.visibility == CommentVisibility.ORGANISATION:
        orgs = aud.visible_orgs & {comment.organisation_id}
    else:
        orgs = set()
    return users, orgs


def _listed_orgs(ids: dict[str, Any]) -> set[int]:
    """The organisations on a release plan's pre-notification list."""
    qs = PreNotification.objects.filter(plan__case_id=ids["case_id"])
    return set(qs.values_list("organisation_id", flat=True))


def _reviewers(advisory_id: int | None, aud: CaseAudience) -> set[int]:
    """The advisory's reviewer; while nobody has taken it, every coordinator but its author."""
    advisory = Advisory.objects.filter(pk=advisory_id).first() if advisory_id else None
    if advisory is None:
        return aud.coordinators
    change = advisory.open_change if advisory.is_public else None
    if change is not None:
        # A revision or withdrawal of a published advisory: any coordinator who may
        # approve it (not who requested it or edited it since the last publication).
        return (aud.coordinators | aud.sirt) - {change.requested_by_id, *change.editor_ids}
    if advisory.reviewer_id and advisory.reviewer_id in aud.viewers:
        return {advisory.reviewer_id}
    excluded = {advisory.author_id, advisory.submitted_by_id}
    return (aud.coordinators | aud.sirt) - excluded


_last_kick = 0.0


def _kick_sender() -> None:
    """Queue a sender task now rather than at the next scheduled run (at most every 2 s
    per process: a burst of events needs one sender, not one each)."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < 2:
        return
    _last_kick = now
    try:
        from django_q.tasks import async_task

        async_task("disclosure.notifications.tasks.send_pending", group="notifications")
    except Exception:  # the scheduled sender picks the rows up anyway
        logger.exception("Could not enqueue the sender")


# --------------------------------------------------------------------------- writing


def write(outgoing: Iterable[Outgoing], *, now: dt.datetime | None = None) -> int:
    """Expand into rows per recipient and channel, applying preferences and mutes."""
    outgoing = [o for o in outgoing if o.users or o.orgs]
    if not outgoing:
        return 0
    now = now or timezone.now()
    user_ids = set().union(*(o.users for o in outgoing))
    kinds = {o.kind for o in outgoing}
    prefs = {
        (p.user_id, p.kind): p
        for p in KindPreference.objects.filter(id_in("user_id", user_ids), kind__in=kinds)
    }
    digest = set(
        NotificationSettings.objects.filter(
            id_in("user_id", user_ids), daily_digest=True
        ).values_list("user_id", flat=True)
    )
    case_ids = {o.case_id for o in outgoing if o.case_id}
    muted = set(
        CaseMute.objects.filter(id_in("user_id", user_ids), id_in("case_id", case_ids)).values_list(
            "user_id", "case_id"
        )
    )
    roles = recipient_roles(user_ids, case_ids)
    sirt = sirt_user_ids() & user_ids
    org_ids = set().union(*(o.orgs for o in outgoing))
    subscriptions = defaultdict(list)
    for sub in WebhookSubscription.objects.filter(organisation_id__in=org_ids, is_active=True):
        subscriptions[sub.organisation_id].append(sub)
    rows: list[dict[str, Any]] = []
    for o in outgoing:
        kind = KINDS[o.kind]
        base = {
            "kind": o.kind,
            "key": o.key,
            "subject": o.subject,
            "due_at": o.due_at,
            "case_id": o.case_id,
            "data": o.data,
            "escalation": kind.escalation,
            "created_at": now,
            "next_attempt_at": now,
            "status": Status.PENDING,
            "sent_at": None,
            "recipient_id": None,
            "subscription_id": None,
        }
        hours_left = (o.due_at - now).total_seconds() / 3600 if kind.deadline else None
        for uid in sorted(o.users):
            pref = prefs.get((uid, o.kind))
            if kind.escalation:
                in_app, email = True, True
            else:
                if (uid, o.case_id) in muted:
                    continue
                in_app = pref.in_app if pref else True
                email = pref.email if pref else True
            at_once = _email_at_once(
                kind,
                pref,
                uid in digest,
                (roles.get((uid, o.case_id)) if o.case_id else None)
                or ({Role.COORDINATOR} if uid in sirt else set()),
                hours_left,
            )
            if in_app:
                rows.append(
                    {
                        **base,
                        "recipient_id": uid,
                        "channel": Channel.IN_APP,
                        "status": Status.SENT,
                        "sent_at": now,
                    }
                )
            if email and not at_once:
                rows.append(
                    {**base, "recipient_id": uid, "channel": Channel.DIGEST, "status": Status.HELD}
                )
            elif email:
                rows.append({**base, "recipient_id": uid, "channel": Channel.EMAIL})
        if kind.webhook:
            for org_id in sorted(o.orgs):
                for sub in subscriptions.get(org_id, []):
                    if sub.wants(o.kind):
                        rows.append({**base, "subscription_id": sub.pk, "channel": Channel.WEBHOOK})
    insert_rows(rows)
    return len(rows)


_ROLE_OF_PARTICIPANT = {
    ParticipantRole.COORDINATOR: Role.COORDINATOR,
    ParticipantRole.MAINTAINER: Role.MAINTAINER,
    ParticipantRole.PARTNER: Role.PARTNER,
    ParticipantRole.DOWNSTREAM: Role.PARTNER,
    ParticipantRole.REPORTER: Role.REPORTER,
}


def recipient_roles(user_ids: set[int], case_ids: set[int]) -> dict[tuple[int, int], set[str]]:
    """(user, case) -> the user's roles on the case (``kinds.Role``), own or through an
    organisation. Two queries whatever the number of users and cases."""
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    if not user_ids or not case_ids:
        return found
    rows = list(
        Participant.objects.active()
        .filter(id_in("case_id", case_ids))
        .filter(id_in("user_id", user_ids) | Q(organisation__isnull=False))
        .values_list("case_id", "role", "user_id", "organisation_id")
    )
    members: dict[int, set[int]] = defaultdict(set)
    for org_id, uid in Membership.objects.filter(
        id_in("organisation_id", {r[3] for r in rows if r[3]}), id_in("user_id", user_ids)
    ).values_list("organisation_id", "user_id"):
        members[org_id].add(uid)
    for case_id, role, uid, org_id in rows:
        users = members.get(org_id, set()) if org_id else ({uid} & user_ids)
        for u in users:
            found[(u, case_id)].add(_ROLE_OF_PARTICIPANT.get(role, Role.OTHER))
    return found


def _email_at_once(
    kind: Kind,
    pref: KindPreference | None,
    wants_digest: bool,
    roles: set[str],
    hours_left: float | None,
) -> bool:
    """Whether the email goes out at once (else it waits for the daily digest):
    escalations always; then the user's choice for the kind; then their "everything
    in the digest"; then the kind's default for their role (quiet by default)."""
    if kind.escalation:
        return True
    if pref is not None and pref.email_when:
        return pref.email_when == EmailWhen.NOW
    if wants_digest:
        return False
    return kind.default_email(roles or {Role.OTHER}, hours_left) == Email.NOW


# Written by ``insert_rows``; every other column is NULL on insert.
INSERT_FIELDS = (
    "kind",
    "key",
    "subject",
    "due_at",
    "case_id",
    "recipient_id",
    "subscription_id",
    "channel",
    "escalation",
    "data",
    "status",
    "next_attempt_at",
    "sent_at",
    "created_at",
)


def insert_rows(rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows, skipping any that already exist (the unique constraints).

    On PostgreSQL one ``INSERT ... SELECT FROM jsonb_array_elements(<document>) ON
    CONFLICT DO NOTHING`` per 5,000 rows: the rows travel as one JSON document (an
    array of column values per row, serialised by the C JSON encoder) and the uuids
    come from ``gen_random_uuid()``. Binding one array per column made psycopg escape
    every value of every row in Python, which took as long as the insert itself.
    Elsewhere (SQLite) ``bulk_create(ignore_conflicts=True)``.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        Notification.objects.bulk_create(
            [Notification(**row) for row in rows], ignore_conflicts=True, batch_size=500
        )
        return
    sql, stamped = _insert_sql()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _INSERT_CHUNK):
            cursor.execute(sql, [_json_rows(rows[start : start + _INSERT_CHUNK], stamped)])


_INSERT_CHUNK = 5000


@functools.cache
def _insert_sql() -> tuple[str, tuple[int, ...]]:
    """The ``INSERT ... SELECT`` reading a JSON array of rows, each an array of values in
    ``INSERT_FIELDS`` order cast to its column's type (``data`` is taken as the jsonb it
    is), and the positions of the datetime columns."""
    concrete = {f.attname: f for f in Notification._meta.concrete_fields}  # "case_id", "data"
    fields = [concrete[name] for name in INSERT_FIELDS]
    columns = ", ".join(["uuid", "attempts", "last_error"] + [f.column for f in fields])
    values = ", ".join(
        ["gen_random_uuid()", "0", "''"]
        + [
            f"r -> {i}" if f.name == "data" else f"(r ->> {i})::{f.db_type(connection)}"
            for i, f in enumerate(fields)
        ]
    )
    sql = (
        f'INSERT INTO "{Notification._meta.db_table}" ({columns}) '  # noqa: S608 - model names
        f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS r ON CONFLICT DO NOTHING"
    )
    stamped = tuple(i for i, f in enumerate(fields) if isinstance(f, DateTimeField))
    return sql, stamped


def _json_rows(rows: list[dict[str, Any]], stamped: tuple[int, ...]) -> str:
    """The rows as one JSON array of arrays (``INSERT_FIELDS`` order). Datetimes in ISO
    8601 with every microsecond and their offset (``DjangoJSONEncoder`` would cut them
    to milliseconds); ``data`` as ``json.dumps`` writes it, so what it refuses is
    refused here too (no silent ``str()`` of an unexpected value)."""
    get = operator.itemgetter(*INSERT_FIELDS)
    texts: dict[dt.datetime, str] = {}  # a sweep repeats a few datetimes thousands of times
    document = []
    for row in rows:
        values = list(get(row))
        for i in stamped:
            value = values[i]
            if value is not None:
                text = texts.get(value)
                if text is None:
                    text = texts[value] = value.isoformat()
                values[i] = text
        document.append(values)
    return json.dumps(document)


# --------------------------------------------------------------------------- sending


@dataclass
class Claim:
    token: uuid.UUID
    ids: list[int]
    lease_until: dt.datetime


def claim(
    channels: Iterable[str] = (Channel.EMAIL, Channel.WEBHOOK),
    *,
    batch: int | None = None,
    now: dt.datetime | None = None,
    extra: Q | None = None,
    waiting: str = Status.PENDING,
) -> Claim:
    """Claim due rows for this sender: pending and due, or claimed by a sender whose
    lease has run out (it crashed). Rows another sender holds are skipped, not waited for."""
    now = now or timezone.now()
    batch = batch or conf.get("NOTIFY_SEND_BATCH")
    token = uuid.uuid4()
    lease_until = now + dt.timedelta(seconds=conf.get("NOTIFY_LEASE_SECONDS"))
    due = Q(status=waiting, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, lease_until__lte=now
    )
    with transaction.atomic():
        qs = Notification.objects.filter(due, channel__in=list(channels))
        if extra is not None:
            qs = qs.filter(extra)
        ids = list(
            qs.order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                status=Status.SENDING,
                claim_token=token,
                lease_until=lease_until,
                attempts=F("attempts") + 1,
            )
    return Claim(token=token, ids=ids, lease_until=lease_until)


def send_pending(*, batch: int | None = None) -> int:
    """Claim a batch of due email and webhook rows and deliver them; returns rows handled."""
    handled = 0
    c = claim(batch=batch)
    # Stop before the lease runs out, so no other sender can take a row we still hold.
    stop_at = c.lease_until - dt.timedelta(seconds=2 * conf.get("WEBHOOK_TIMEOUT_SECONDS") + 30)
    for pk in c.ids:
        if timezone.now() >= stop_at:
            release(pk, c.token)
            continue
        deliver(pk, c.token)
        handled += 1
    return handled


def send_budget_seconds() -> float:
    """How long one sender task may spend sending: the task timeout (``Q_CLUSTER``)
    minus a margin for starting, claiming and marking rows. A sender still sending
    at the timeout is killed mid-message: the row in flight goes out again and the
    rest of its batch waits for the lease."""
    configured = conf.get("NOTIFY_SEND_BUDGET_SECONDS")
    if configured:
        return float(configured)
    timeout = settings.Q_CLUSTER["timeout"]
    return float(timeout - max(5, timeout // 10))


def worst_send_seconds() -> float:
    """The longest one row can take: a webhook's connect and read timeouts (as
    ``webhooks.post`` sets them) or the mail server's ``EMAIL_TIMEOUT``, plus a second
    for the name lookup and the bookkeeping around it."""
    timeout = conf.get("WEBHOOK_TIMEOUT_SECONDS")
    webhook = min(3, timeout) + timeout
    return float(max(webhook, settings.EMAIL_TIMEOUT or webhook) + 1)


def send_all_pending(
    *, budget: float | None = None, clock: Callable[[], float] = time.monotonic
) -> int:
    """Send due rows, batch after batch, within ``budget`` seconds (default: what one
    task may spend, ``send_budget_seconds``). A batch is claimed only as large as the
    time left covers with every row at its worst (``worst_send_seconds``); when the
    time left cannot cover one row, the sender stops and, if rows are still due,
    queues the next sender task, which carries on. So a backlog drains through
    successive tasks, none killed by its timeout, none sending a row twice."""
    budget = send_budget_seconds() if budget is None else budget
    per_row = worst_send_seconds()
    started = clock()
    total = 0
    while True:
        affordable = int((budget - (clock() - started)) // per_row)
        if affordable < 1:
            if conf.get("NOTIFY_KICK_SENDER") and _more_due():
                _kick_sender()
            return total
        n = send_pending(batch=min(conf.get("NOTIFY_SEND_BATCH"), affordable))
        total += n
        if not n:
            return total


def _more_due() -> bool:
    return Notification.objects.filter(
        channel__in=[Channel.EMAIL, Channel.WEBHOOK],
        status=Status.PENDING,
        next_attempt_at__lte=timezone.now(),
    ).exists()


def release(pk: int, token: uuid.UUID) -> None:
    Notification.objects.filter(pk=pk, claim_token=token, status=Status.SENDING).update(
        status=Status.PENDING, claim_token=None, lease_until=None, attempts=F("attempts") - 1
    )


def deliver(pk: int, token: uuid.UUID) -> None:
    """Send one claimed row (outside any transaction) and record the outcome."""
    n = (
        Notification.objects.select_related("case", "recipient", "subscription")
        .filter(pk=pk, claim_token=token, status=Status.SENDING)
        .first()
    )
    if n is None:  # our lease ran out and another sender took it
        return
    try:
        reason = _still_allowed(n)
        if reason:
            _finish(n, token, Status.SKIPPED, reason)
            return
        if n.channel == Channel.EMAIL:
            _send_email(n)
        elif n.channel == Channel.WEBHOOK:
            webhooks.deliver(n)
        else:  # pragma: no cover - in-app rows are never pending
            raise ValueError(f"Cannot send channel {n.channel}")
    except Exception as exc:  # noqa: BLE001 - any failure is retried, then shown
        _failed_attempt(n, token, _describe(exc))
        return
    _finish(n, token, Status.SENT)


def _describe(exc: Exception) -> str:
    # The class and message of a transport error; never the payload.
    return f"{type(exc).__name__}: {exc}"[:300]


def _still_allowed(n: Notification) -> str:
    """Why the row must not go out any more (empty when it may)."""
    # No query for a relation whose id is empty: a row has a recipient or a subscription.
    if (user := n.recipient) is not None:
        if not user.is_active:
            return "Recipient is inactive."
        if n.channel in (Channel.EMAIL, Channel.DIGEST) and not user.email:
            return "Recipient has no email address."
        if n.case is not None and not access.access_for(user, n.case).can_view:
            return "Recipient can no longer see the case."
        report_id = n.data.get("report_id")
        if report_id and not access.visible_reports(user).filter(pk=report_id).exists():
            return "Recipient can no longer see the report."
        batch_id = n.data.get("batch_id")
        if batch_id and not access.visible_report_batches(user).filter(pk=batch_id).exists():
            return "Recipient can no longer see the batch."
        if n.kind == "comment.posted" and "comment_id" in n.data:
            comment = Comment.objects.filter(pk=n.data["comment_id"]).first()
            if comment is None or not access.comment_visible_to(comment, user):
                return "Recipient can no longer read the comment."
    elif (subscription := n.subscription) is not None:
        if not subscription.is_active:
            return "Webhook subscription is disabled."
        if n.case_id and not _organisation_sees(subscription.organisation_id, n.case_id):
            return "Organisation can no longer see the case."
    return ""


def _organisation_sees(org_id: int, case_id: int) -> bool:
    return org_id in audiences([case_id])[case_id].visible_orgs


def _finish(n: Notification, token: uuid.UUID, status: str, note: str = "") -> None:
    Notification.objects.filter(pk=n.pk, claim_token=token, status=Status.SENDING).update(
        status=status,
        sent_at=timezone.now() if status == Status.SENT else None,
        lease_until=None,
        last_error=note[:300],
    )


def backoff(attempts: int) -> dt.timedelta:
    seconds = conf.get("NOTIFY_RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, conf.get("NOTIFY_RETRY_MAX_SECONDS")))


def _failed_attempt(n: Notification, token: uuid.UUID, error: str) -> None:
    logger.warning("Notification %s attempt %s failed: %s", n.pk, n.attempts, error)
    if n.attempts >= conf.get("NOTIFY_MAX_ATTEMPTS"):
        changes: dict[str, Any] = {"status": Status.FAILED, "lease_until": None}
    else:
        changes = {
            "status": Status.HELD if n.channel == Channel.DIGEST else Status.PENDING,
            "next_attempt_at": timezone.now() + backoff(n.attempts),
            "lease_until": None,
            "claim_token": None,
        }
    Notification.objects.filter(pk=n.pk, claim_token=token, status=Status.SENDING).update(
        last_error=error, **changes
    )


# --------------------------------------------------------------------------- email


def _email_context(n: Notification) -> dict[str, Any]:
    return {
        "label": n.label,
        "reference": n.case_reference or _non_case_reference(n),
        "link": n.absolute_link,
        "escalation": n.escalation,
        "site_url": settings.SITE_URL,
        "preferences_url": settings.SITE_URL + "/notifications/preferences/",
    }


def _non_case_reference(n: Notification) -> str:
    if n.kind.startswith("report.") and n.data.get("report_id"):
        return f"Report #{n.data['report_id']}"
    if n.kind.startswith("report.batch.") and n.data.get("batch_id"):
        return f"Batch #{n.data['batch_id']}"
    if n.subscription_id or n.kind.startswith("webhook."):
        return "Webhook"
    return "Akrites"


def render_email(n: Notification) -> EmailMultiAlternatives:
    """Case reference, kind of event and a link: never the title or other case text."""
    ctx = _email_context(n)
    subject = f"[Akrites] {ctx['reference']}: {ctx['label']}"
    text = render_to_string("notifications/email/notification.txt", ctx)
    html = render_to_string("notifications/email/notification.html", ctx)
    recipient = n.recipient
    assert recipient is not None, "an email goes to a person"
    message = EmailMultiAlternatives(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["X-Akrites-Notification"] = str(n.uuid)
    return message


def _send_email(n: Notification) -> None:
    render_email(n).send(fail_silently=False)


# --------------------------------------------------------------------------- digest


def send_digests(*, now: dt.datetime | None = None) -> int:
    """One email per user with everything held for the digest; returns emails sent."""
    now = now or timezone.now()
    user_ids = set(
        Notification.objects.filter(
            Q(status=Status.HELD, next_attempt_at__lte=now)
            | Q(status=Status.SENDING, channel=Channel.DIGEST, lease_until__lte=now)
        ).values_list("recipient_id", flat=True)
    )
    sent = 0
    for user_id in sorted(user_ids):
        c = claim(
            [Channel.DIGEST],
            batch=500,
            now=now,
            extra=Q(recipient_id=user_id),
            waiting=Status.HELD,
        )
        if not c.ids:
            continue
        sent += _send_digest(user_id, c)
    return sent


def _send_digest(user_id: int, c: Claim) -> int:
    rows = list(
        Notification.objects.select_related("case", "recipient")
        .filter(pk__in=c.ids, claim_token=c.token, status=Status.SENDING)
        .order_by("created_at", "id")
    )
    allowed = []
    for n in rows:
        reason = _still_allowed(n)
        if reason:
            _finish(n, c.token, Status.SKIPPED, reason)
        else:
            allowed.append(n)
    if not allowed:
        return 0
    user = allowed[0].recipient
    items = [_email_context(n) for n in allowed]
    ctx = {"items": items, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        f"[Akrites] Your daily digest: {len(items)} notification(s)",
        render_to_string("notifications/email/digest.txt", ctx),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("notifications/email/digest.html", ctx), "text/html"
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001
        for n in allowed:
            _failed_attempt(n, c.token, _describe(exc))
        return 0
    for n in allowed:
        _finish(n, c.token, Status.SENT)
    return 1


# --------------------------------------------------------------------------- centre


def mark_read(user: User, notification_id: int) -> int:
    return (
        Notification.objects.centre_for(user)
        .filter(pk=notification_id, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def mark_all_read(user: User) -> int:
    return Notification.objects.filter(
        recipient=user, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())


def set_mute(user: User, case: Case, muted: bool) -> None:
    """Mute or unmute a case the user sees (escalations still reach them)."""
    access.require_on(user, case, "view_case")
    if muted:
        CaseMute.objects.get_or_create(user=user, case=case)
    else:
        CaseMute.objects.filter(user=user, case=case).delete()


def retry_failed(notification_id: int, actor: User) -> int:
    """A coordinator sends a failed row again (attempts start over)."""
    if not access.is_sirt(actor):
        raise PermissionDenied("Only coordinators retry failed notifications.")
    return Notification.objects.filter(pk=notification_id, status=Status.FAILED).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claim_token=None,
        lease_until=None,
    )
