"""Embargoes: public dates, policies, clocks and proposals.

How the public date is decided (``Embargo.public_at``):

1. A broken embargo: the moment of the break plus its grace; nothing else counts.
2. Otherwise, if a coordinator accepted a proposal: the accepted date (``agreed_at``).
   A proposal may move the date later than the clocks (an extension) or earlier.
3. Otherwise: the earliest deadline among the running clocks ("the earliest governs").

A clock started after a date was agreed still governs when it runs out earlier
than the agreed date (a distros post during an agreed 90-day embargo forces the
14-day limit): starting it supersedes the agreement (``agreed_at`` is cleared, and
the timeline says so), and the earliest clock governs again.
All state changes live in ``disclosure.services``; this module holds the rows and
the pure date arithmetic.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import Case, Participant


class EmbargoState(models.TextChoices):
    NONE = "none", "No embargo"
    ACTIVE = "active", "Active"
    LIFTED = "lifted", "Lifted"
    BROKEN = "broken", "Broken"


class ClockStart(models.TextChoices):
    """The event that starts a policy's clock."""

    REPORT = "report", "Report received"
    FIRST_NOTIFICATION = "first_notification", "First notification (e.g. post to a list)"
    FIX = "fix", "A fix exists"
    EXPLOITATION = "exploitation", "Exploitation in the wild known"
    AGREEMENT = "agreement", "Date agreed by hand"


class Agreement(models.TextChoices):
    """Who must agree to a proposed public date before a coordinator accepts it."""

    MAINTAINERS = "maintainers", "The case's maintainers"
    ALL_PARTIES = "all_parties", "Maintainers, partners and downstream"


class EmbargoPolicy(models.Model):
    """A disclosure policy as data: what starts its clock and how long it runs.

    Seeded by a data migration (standard, distros, kernel, exploited, custom);
    coordinators may add more in the admin without a code change.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    clock_start = models.CharField(max_length=30, choices=ClockStart.choices)
    # None: the deadline is chosen by hand when the clock starts (the custom policy).
    default_days = models.PositiveIntegerField(null=True, blank=True)
    # None: no hard limit. Beyond it, a proposal needs an explicit override and reason.
    max_days = models.PositiveIntegerField(null=True, blank=True)
    # UTC time of day the deadline falls on; None keeps the time the clock started.
    time_of_day = models.TimeField(null=True, blank=True)
    skip_weekends = models.BooleanField(default=False)
    # Who must agree to a proposed date (at least the maintainers); without it only a
    # coordinator's override with a reason moves the date.
    agreement = models.CharField(
        max_length=20, choices=Agreement.choices, default=Agreement.MAINTAINERS
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "embargo policies"

    def __str__(self) -> str:
        return self.name

    @property
    def needs_manual_deadline(self) -> bool:
        return self.default_days is None

    def latest_for(self, started_at: dt.datetime) -> dt.datetime | None:
        """The hard limit for a clock started at ``started_at`` (None: unlimited)."""
        if self.max_days is None:
            return None
        return started_at + dt.timedelta(days=self.max_days)

    def deadline_for(self, started_at: dt.datetime) -> dt.datetime:
        """Default deadline: start + days, at the time of day, moved off weekends.

        A weekend date moves forward to Monday, unless that would pass the policy's
        maximum: then it moves back to Friday (a limit is never exceeded by rounding).
        """
        if self.default_days is None:
            raise ValueError(f"Policy {self.code} has no default length; give a deadline.")
        started_at = started_at.astimezone(dt.UTC)
        deadline = started_at + dt.timedelta(days=self.default_days)
        if self.time_of_day is not None:
            deadline = deadline.replace(
                hour=self.time_of_day.hour,
                minute=self.time_of_day.minute,
                second=0,
                microsecond=0,
            )
        if self.skip_weekends and deadline.weekday() >= 5:
            forward = deadline + dt.timedelta(days=7 - deadline.weekday())
            latest = self.latest_for(started_at)
            if latest is None or forward <= latest:
                deadline = forward
            else:
                deadline -= dt.timedelta(days=deadline.weekday() - 4)
        return deadline


class EmbargoQuerySet(models.QuerySet):
    def due(self, now: dt.datetime | None = None) -> EmbargoQuerySet:
        """Active embargoes whose public date has passed: what the lift sweep handles."""
        return self.filter(
            state=EmbargoState.ACTIVE, public_at__isnull=False, public_at__lte=now or timezone.now()
        )


class Embargo(models.Model):
    class BreakKind(models.TextChoices):
        LEAK = "leak", "Leak"
        EXPLOITED = "exploited", "Exploitation in the wild"
        FIX_PUBLIC = "fix_public", "Fix already public"
        OTHER = "other", "Other"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="embargo")
    state = models.CharField(
        max_length=10, choices=EmbargoState.choices, default=EmbargoState.NONE, db_index=True
    )
    # The governing public date (see the module docstring); always UTC.
    public_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set while an accepted proposal decides the date.
    agreed_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    break_kind = models.CharField(max_length=20, choices=BreakKind.choices, blank=True)
    break_reason = models.TextField(blank=True)
    broken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = EmbargoQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Embargo of {self.case_id}: {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state == EmbargoState.ACTIVE

    @property
    def is_broken(self) -> bool:
        return self.state == EmbargoState.BROKEN

    def has_lifted(self, now: dt.datetime | None = None) -> bool:
        """May the case's advisory be public? The contract the publication relies on.

        True once lifted, once broken and its grace is over, or once an active
        embargo's public date has passed (before the sweep has lifted it). An
        embargo that was never set (state none) has not lifted: publication of a
        case without an embargo is an explicit coordinator decision elsewhere.
        """
        now = now or timezone.now()
        if self.state == EmbargoState.LIFTED:
            return True
        if self.state in (EmbargoState.BROKEN, EmbargoState.ACTIVE):
            return self.public_at is not None and self.public_at <= now
        return False

    def running_clocks(self) -> list[EmbargoClock]:
        return [c for c in self.clocks.all() if c.stopped_at is None]

    def governing_clock(self) -> EmbargoClock | None:
        running = self.running_clocks()
        return min(running, key=lambda c: (c.deadline, c.pk)) if running else None

    def limit(self) -> tuple[dt.datetime, EmbargoClock] | None:
        """The earliest hard maximum among the running clocks, and the clock it comes from."""
        limits = [(c.latest, c) for c in self.running_clocks() if c.latest is not None]
        return min(limits, key=lambda pair: (pair[0], pair[1].pk)) if limits else None

    def exceeds_limit(self, when: dt.datetime) -> bool:
        limit = self.limit()
        return limit is not None and when > limit[0]

    def required_agreement(self) -> str:
        """The strictest agreement among the running clocks' policies (maintainers when
        no clock runs)."""
        policies = {c.policy.agreement for c in self.running_clocks()}
        if Agreement.ALL_PARTIES in policies:
            return Agreement.ALL_PARTIES
        return Agreement.MAINTAINERS

    def computed_public_at(self) -> dt.datetime | None:
        """What ``public_at`` should be from the agreement or the clocks (not for breaks)."""
        if self.agreed_at is not None:
            return self.agreed_at
        clock = self.governing_clock()
        return clock.deadline if clock else None


def embargo_has_lifted(case: Case, now: dt.datetime | None = None, *, lock: bool = False) -> bool:
    """May the case's advisory be public at ``now``?

    The contract between embargoes and publication: no embargo at all, or
    ``Embargo.has_lifted``. With ``lock`` the embargo row is locked too, so a
    concurrent extension of the embargo waits for our decision (or we for its).
    """
    qs = Embargo.objects.filter(case_id=case.pk)
    if lock:
        qs = qs.select_for_update()
    embargo = qs.first()
    return embargo is None or embargo.has_lifted(now or timezone.now())


class EmbargoClock(models.Model):
    """One running deadline of a case under one policy, with what started it."""

    embargo = models.ForeignKey(Embargo, on_delete=models.CASCADE, related_name="clocks")
    policy = models.ForeignKey(EmbargoPolicy, on_delete=models.PROTECT, related_name="clocks")
    started_at = models.DateTimeField()
    # What started it, in words shown to participants ("posted to linux-distros").
    started_by = models.CharField(max_length=200)
    deadline = models.DateTimeField()
    # The policy's hard maximum for this clock (None: no limit).
    latest = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"{self.policy.code} clock until {self.deadline:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class EmbargoProposal(models.Model):
    """A proposed public date; participants agree or object, a coordinator decides."""

    embargo = models.ForeignKey(Embargo, on_delete=models.CASCADE, related_name="proposals")
    public_at = models.DateTimeField()
    reason = models.TextField()
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    # Accepted beyond a policy's maximum: the coordinator said so explicitly, and why.
    override = models.BooleanField(default=False)
    # Accepted without the agreement the policy asks for: the coordinator overrode it.
    agreement_override = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Proposal #{self.pk}: {self.public_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state == ProposalState.PROPOSED


class ProposalResponse(models.Model):
    class Stance(models.TextChoices):
        AGREE = "agree", "Agree"
        OBJECT = "object", "Object"

    proposal = models.ForeignKey(
        EmbargoProposal, on_delete=models.CASCADE, related_name="responses"
    )
    # The participant row answered for (an organisation's, or a person's own).
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stance = models.CharField(max_length=10, choices=Stance.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "participant"], name="unique_proposal_response"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stance} on proposal {self.proposal_id}"
