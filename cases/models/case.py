"""The case: its states and life cycle, its reference, participants, grants, the
append-only timeline and the record of who looked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases import actions, events
from cases.models.common import StaleEdit, TransitionError, YearCounter
from cases.models.people import Organisation, Project
from cases.types import AnyUser, User


class CaseState(models.TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    FIX_READY = "fix_ready", "Fix ready"
    RELEASED = "released", "Released"
    PUBLISHED = "published", "Published"
    CLOSED = "closed", "Closed"
    DUPLICATE = "duplicate", "Duplicate"
    REJECTED = "rejected", "Rejected"


# The case life cycle: transition name -> (allowed source states, target state).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({CaseState.NEW}), CaseState.ACCEPTED),
    "start": (frozenset({CaseState.ACCEPTED}), CaseState.IN_PROGRESS),
    "mark_fix_ready": (frozenset({CaseState.IN_PROGRESS}), CaseState.FIX_READY),
    "release": (frozenset({CaseState.FIX_READY}), CaseState.RELEASED),
    "publish": (
        frozenset({CaseState.RELEASED, CaseState.FIX_READY, CaseState.IN_PROGRESS}),
        CaseState.PUBLISHED,
    ),
    "close": (
        frozenset({CaseState.PUBLISHED, CaseState.RELEASED}),
        CaseState.CLOSED,
    ),
    "reject": (frozenset({CaseState.NEW, CaseState.ACCEPTED}), CaseState.REJECTED),
    "reopen": (
        frozenset({CaseState.REJECTED, CaseState.CLOSED}),
        CaseState.ACCEPTED,
    ),
}
TRANSITION_LABELS = {
    "accept": "Accept",
    "start": "Start work (embargo agreed)",
    "mark_fix_ready": "Mark fix ready",
    "release": "Mark released",
    "publish": "Mark published",
    "close": "Close",
    "reject": "Reject",
    "reopen": "Reopen",
}
OPEN_STATES = frozenset(
    {
        CaseState.NEW,
        CaseState.ACCEPTED,
        CaseState.IN_PROGRESS,
        CaseState.FIX_READY,
        CaseState.RELEASED,
    }
)


class Severity(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {s: i for i, s in enumerate(Severity.values)}


def severity_for_score(score: float | Decimal | None) -> str:
    if score is None:
        return Severity.NONE
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0:
        return Severity.LOW
    return Severity.NONE


class CaseCounter(YearCounter):
    @classmethod
    def next_reference(cls, year: int) -> str:
        """Allocate the next reference; call inside the transaction that creates the case."""
        return f"{settings.CASE_REFERENCE_PREFIX}-{year}-{cls.allocate(year):04d}"


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> CaseQuerySet:
        from cases import access  # access reads these models: importing it at the top is a cycle

        return access.filter_visible(self, user)

    def open(self) -> CaseQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def search(self, text: str, title_field: str = "title") -> CaseQuerySet:
        """Full-text search on PostgreSQL, a plain substring match elsewhere.

        ``title_field`` names the title to match: the views pass ``searchable_title``
        (``access.with_searchable_title``), the title only where the reader may read it.
        """
        from django.db import connection

        text = (text or "").strip()
        if not text:
            return self
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchVector

            vector = SearchVector("reference", title_field, "summary", config="english")
            query = SearchQuery(text, config="english", search_type="websearch")
            return self.annotate(_search=vector).filter(
                Q(_search=query) | Q(reference__iexact=text)
            )
        return self.filter(
            Q(reference__icontains=text)
            | Q(**{f"{title_field}__icontains": text})
            | Q(summary__icontains=text)
        )


class Case(models.Model):
    reference = models.CharField(max_length=32, unique=True, editable=False)
    title = models.CharField(max_length=300)
    # Set while ``title`` is still a report's wording (copied when the case was opened):
    # only the SIRT, maintainers and that report's author read it until a coordinator
    # reviews or rewrites it (``cases.access.CaseAccess.case_title``).
    title_from_report = models.ForeignKey(
        "Report", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=CaseState.choices, default=CaseState.NEW, db_index=True
    )
    severity = models.CharField(
        max_length=10, choices=Severity.choices, default=Severity.NONE, db_index=True
    )
    projects = models.ManyToManyField(Project, related_name="cases", blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Optimistic concurrency: every edit bumps it; an edit from an older one is refused.
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("comment_case", "Post comments on the case"),
            ("respond_case", "Acknowledge the case for one's organisation"),
            ("edit_vulnerability", "Add and edit vulnerabilities"),
            ("upload_case", "Upload attachments"),
            ("view_reporters", "See reporter participants"),
            ("propose_embargo", "Propose embargo dates"),
            ("update_release", "Update the release plan of one's project"),
            ("report_deployment", "Report deployment status"),
            ("view_advisory_draft", "Read the advisory before publication"),
        ]
        indexes = [models.Index(fields=["state", "-updated_at"], name="case_state_updated")]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("cases:case_detail", args=[self.reference])

    # -- facts about this row
    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def embargo_or_none(self) -> Any:
        try:
            return self.embargo
        except ObjectDoesNotExist:
            return None

    @property
    def is_under_embargo(self) -> bool:
        embargo = self.embargo_or_none
        return bool(embargo and embargo.is_active)

    def allowed_transitions(self) -> list[str]:
        return [name for name, (sources, _) in TRANSITIONS.items() if self.state in sources]

    # -- state changes
    def transition(self, name: str, actor: User | None, *, reason: str = "") -> Case:
        """Move the case along its life cycle; returns the refreshed case."""
        if name not in TRANSITIONS:
            raise TransitionError(f"Unknown transition {name!r}.")
        sources, target = TRANSITIONS[name]
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=self.pk)
            if case.state not in sources:
                raise TransitionError(
                    f"Cannot {TRANSITION_LABELS[name].lower()} a case that is "
                    f"{case.get_state_display().lower()}."
                )
            if name == "reject" and not reason.strip():
                raise TransitionError("Give a reason for rejecting the case.")
            old = case.state
            case.state = target
            case.updated_at = timezone.now()
            case.version += 1
            case.save(update_fields=["state", "updated_at", "version"])
            case.log(
                actor, f"case.state.{name}", {"from": old, "to": target, "reason": reason.strip()}
            )
            events.emit(
                "case.state_changed",
                case_id=case.pk,
                transition=name,
                actor_id=getattr(actor, "pk", None),
            )
        return case

    def update_details(
        self, actor: User | None, *, expected_version: int, title: str, summary: str
    ) -> Case:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=self.pk)
            if case.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            changed = [
                f for f, v in (("title", title), ("summary", summary)) if getattr(case, f) != v
            ]
            if "title" in changed:
                # Rewritten: the coordinator's wording now, no longer a report's.
                case.title_from_report = None
            case.title, case.summary = title, summary
            case.version += 1
            case.updated_at = timezone.now()
            case.save(
                update_fields=["title", "title_from_report", "summary", "version", "updated_at"]
            )
            case.log(actor, "case.details.edited", {"fields": changed})
        return case

    def refresh_severity(self) -> None:
        """Derive severity from the highest-scoring vulnerability."""
        scores = [
            max(s for s in (v.cvss3_score, v.cvss4_score) if s is not None)
            for v in self.vulnerabilities.all()
            if v.cvss3_score is not None or v.cvss4_score is not None
        ]
        severity = severity_for_score(max(scores) if scores else None)
        Case.objects.filter(pk=self.pk).update(severity=severity, updated_at=timezone.now())
        self.severity = severity

    def touch(self) -> None:
        now = timezone.now()
        Case.objects.filter(pk=self.pk).update(updated_at=now)
        self.updated_at = now

    def log(self, actor: User | None, action: str, data: dict | None = None) -> TimelineEntry:
        """Write one timeline entry; ``action`` must be registered (``cases.actions``)."""
        actions.timeline.check(action)
        return TimelineEntry.objects.create(
            case=self,
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            data=data or {},
        )


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission"], name="case_uperm_user_perm")]


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["group", "permission"], name="case_gperm_group_perm")]


class ParticipantRole(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    MAINTAINER = "maintainer", "Maintainer"
    REPORTER = "reporter", "Reporter"
    PARTNER = "partner", "Partner"
    DOWNSTREAM = "downstream", "Downstream"


class ParticipantQuerySet(models.QuerySet):
    def active(self) -> ParticipantQuerySet:
        return self.filter(removed_at__isnull=True)


class Participant(models.Model):
    """An organisation or a single person taking part in a case, through one role."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="participations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(max_length=20, choices=ParticipantRole.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(user__isnull=False),
                name="participant_has_org_or_user",
            ),
            models.UniqueConstraint(
                fields=["case", "organisation", "role"],
                condition=Q(removed_at__isnull=True, organisation__isnull=False),
                name="unique_active_org_participant",
            ),
            models.UniqueConstraint(
                fields=["case", "user", "role"],
                condition=Q(removed_at__isnull=True, user__isnull=False),
                name="unique_active_user_participant",
            ),
        ]
        indexes = [
            # The vendor status reminders read organisations that joined in a window.
            models.Index(
                fields=["invited_at"],
                condition=Q(organisation__isnull=False, removed_at__isnull=True),
                name="participant_vendor_invited",
            ),
            # Invitations awaiting acknowledgement, oldest first (deadline lines, sweep):
            # without the coordinators' rows, which never acknowledge (one per case).
            models.Index(
                fields=["invited_at"],
                condition=Q(acknowledged_at__isnull=True, removed_at__isnull=True)
                & ~Q(role=ParticipantRole.COORDINATOR),
                name="participant_awaiting_ack",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()}) in {self.case_id}"

    @property
    def display_name(self) -> str:
        if self.organisation is not None:  # no query when organisation_id is None
            return self.organisation.name
        user = self.user
        assert user is not None, "participant_has_org_or_user: an organisation or a user"
        return user.get_full_name() or user.get_username()

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


# --------------------------------------------------------------------------- history


class TimelineEntry(models.Model):
    """Append-only history of a case; on PostgreSQL a trigger rejects UPDATE and DELETE."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="timeline")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["case", "created_at"], name="timeline_case_created")]
        triggers = [
            pgtrigger.Protect(
                name="timeline_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class CaseAccessRecord(models.Model):
    """Who looked at an embargoed case's details, and when: the need-to-know record."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_records")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=100)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at"], name="access_case_at")]

    def __str__(self) -> str:
        return f"{self.user_id} viewed {self.what} of {self.case_id}"


class CaseChange(models.Model):
    """One row per write to a case or to anything its page shows, written by database
    triggers (``cases/page_cache.py`` installs them on every ``migrate``), never by code.

    The case page keeps its rendered panels in the cache under a key that includes the
    count and sum of these rows' ids for the case: any committed write changes both, so
    a panel is never served after what it shows has changed. Rows are insert-only (no
    lock on the case row, so no new lock order between writers); ``prune_case_changes``
    keeps only each case's newest row after an hour."""

    # No foreign key: a trigger of a row deleted with its case may still write here.
    case_id = models.BigIntegerField()
    at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["case_id", "id"], name="case_change_case_id")]

    def __str__(self) -> str:
        return f"change {self.pk} of case {self.case_id}"
