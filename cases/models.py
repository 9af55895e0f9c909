"""Organisations, people, reports, cases and everything a case holds.

State changes live in model methods (one row) or in ``cases.services`` (several
models). Each locks its row, checks the state, changes it and writes one timeline
entry, in one transaction. Who may see or do what is decided in ``cases.access``.
"""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases import actions, events
from cases.types import AnyUser, User


class TransitionError(Exception):
    """A state change that the current state does not allow."""


class StaleEdit(Exception):
    """An edit made from a version that someone else has changed since."""

    message = (
        "This was changed by someone else since you opened it. Reload and apply your edit again."
    )


# --------------------------------------------------------------------------- people


class OrganisationQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete the organisations and their groups (with the grants the groups held).

        The admin's change list and inline deletes come through here or through
        ``Organisation.delete``; memberships go by cascade, so access ends with them.
        """
        with transaction.atomic():
            group_ids = list(self.values_list("group_id", flat=True))
            deleted = super().delete()
            Group.objects.filter(pk__in=group_ids).delete()
        return deleted


class Organisation(models.Model):
    class Kind(models.TextChoices):
        SIRT = "sirt", "SIRT"
        MAINTAINER = "maintainer", "Maintainer team"
        PARTNER = "partner", "Industry partner"
        DOWNSTREAM = "downstream", "Downstream"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Grants to an organisation are guardian group permissions on this group. The group
    # only holds grants: its members are the organisation's ``Membership`` rows, never
    # ``user.groups`` (cases.access reads memberships; README, "Membership, groups and
    # grants").
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="organisation")
    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        with transaction.atomic():
            group_id = self.group_id
            deleted = super().delete(*args, **kwargs)
            Group.objects.filter(pk=group_id).delete()
        return deleted

    @classmethod
    def create(cls, *, name: str, slug: str, kind: str) -> Organisation:
        with transaction.atomic():
            group = Group.objects.create(name=f"org:{slug}")
            return cls.objects.create(name=name, slug=slug, kind=kind, group=group)

    def add_member(self, user: User, role: str = "member") -> Membership:
        membership, _ = Membership.objects.update_or_create(
            organisation=self, user=user, defaults={"role": role}
        )
        return membership

    def remove_member(self, user: User) -> None:
        Membership.objects.filter(organisation=self, user=user).delete()


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Admin"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="unique_membership")
        ]
        # Visibility looks up a user's organisations on every query (cases.access): an
        # index-only scan, the user first.
        indexes = [models.Index(fields=["user", "organisation"], name="membership_user_org")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class Profile(models.Model):
    """Per-user preferences that are not authentication data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    timezone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="projects",
        limit_choices_to={"kind": Organisation.Kind.MAINTAINER},
    )
    repository_url = models.URLField(blank=True)
    # Package URLs without version, e.g. ["pkg:pypi/libexample"].
    purls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------- cases


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


class YearCounter(models.Model):
    """One row per year; locked while a number is allocated, so numbers have no gaps."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"

    @classmethod
    def allocate(cls, year: int) -> int:
        """The next number of ``year``; call inside the transaction that uses it."""
        # An abstract model has no ``objects`` of its own; each subclass has the default.
        cls._default_manager.bulk_create([cls(year=year)], ignore_conflicts=True)
        counter = cls._default_manager.select_for_update().get(year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        return counter.last_number


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

    def search(self, text: str) -> CaseQuerySet:
        """Full-text search on PostgreSQL, a plain substring match elsewhere."""
        from django.db import connection

        text = (text or "").strip()
        if not text:
            return self
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchVector

            vector = SearchVector("reference", "title", "summary", config="english")
            query = SearchQuery(text, config="english", search_type="websearch")
            return self.annotate(_search=vector).filter(
                Q(_search=query) | Q(reference__iexact=text)
            )
        return self.filter(
            Q(reference__icontains=text) | Q(title__icontains=text) | Q(summary__icontains=text)
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


# --------------------------------------------------------------------------- reports


class ReportStatus(models.TextChoices):
    NEW = "new", "New"
    IN_CASE = "in_case", "In a case"
    DUPLICATE = "duplicate", "Duplicate"
    REJECTED = "rejected", "Rejected"


class Report(models.Model):
    title = models.CharField(max_length=300)
    description = models.TextField(help_text="Markdown.")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    reporter_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    purl = models.CharField("package (purl)", max_length=500, blank=True)
    package = models.CharField(max_length=500, blank=True, db_index=True, editable=False)
    vers = models.CharField("affected versions (vers)", max_length=500, blank=True)
    cwe = models.CharField("CWE", max_length=12, blank=True)
    cvss_vector = models.CharField("CVSS vector", max_length=200, blank=True)
    wants_credit = models.BooleanField(
        default=True, help_text="Credit the reporter by name in the advisory."
    )
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW, db_index=True
    )
    rejection_reason = models.TextField(blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    # sha256 of the normalised content: the same reporter sending the same report twice.
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"], name="report_status_received")]
        constraints = [
            # One report per finding and reporter, even for concurrent identical
            # submissions (services.submit_report answers the existing one). Rows added
            # in the admin carry no fingerprint and are not held to it.
            models.UniqueConstraint(
                fields=["reporter", "fingerprint"],
                condition=~Q(fingerprint=""),
                name="unique_report_per_reporter_fingerprint",
            )
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:report_detail", args=[self.pk])

    @staticmethod
    def compute_fingerprint(**fields: str) -> str:
        canonical = "\x1f".join(
            " ".join(str(fields.get(k, "")).split()).lower()
            for k in ("title", "description", "purl", "vers", "cwe", "cvss_vector")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


# --------------------------------------------------------------------------- vulnerabilities


class Vulnerability(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vulnerabilities")
    title = models.CharField(max_length=300)
    # As ``Case.title_from_report``: the report whose wording ``title`` still is.
    title_from_report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(blank=True, help_text="Markdown.")
    cwe = models.CharField("CWE", max_length=12, blank=True)
    cvss3_vector = models.CharField("CVSS 3.1 vector", max_length=200, blank=True)
    cvss3_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    cvss4_vector = models.CharField("CVSS 4.0 vector", max_length=300, blank=True)
    cvss4_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    cve_id = models.CharField("CVE id", max_length=20, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "vulnerabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["cve_id"], condition=~Q(cve_id=""), name="unique_cve_id"
            )
        ]

    def __str__(self) -> str:
        return self.cve_id or self.title

    @property
    def score(self) -> float | None:
        scores = [float(s) for s in (self.cvss4_score, self.cvss3_score) if s is not None]
        return max(scores) if scores else None

    @property
    def severity(self) -> str:
        return severity_for_score(self.score)


class AffectedPackage(models.Model):
    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="affected"
    )
    purl = models.CharField("package (purl)", max_length=500)
    vers = models.CharField("affected versions (vers)", max_length=500)
    fixed_versions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.purl} {self.vers}"


class Credit(models.Model):
    class Kind(models.TextChoices):
        FINDER = "finder", "Finder"
        REPORTER = "reporter", "Reporter"
        ANALYST = "analyst", "Analyst"
        COORDINATOR = "coordinator", "Coordinator"
        REMEDIATION_DEVELOPER = "remediation_developer", "Remediation developer"
        REMEDIATION_REVIEWER = "remediation_reviewer", "Remediation reviewer"
        OTHER = "other", "Other"

    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="credits"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.FINDER)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Only people who agreed are named in advisories.
    consented = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


# --------------------------------------------------------------------------- discussion


class CommentVisibility(models.TextChoices):
    ALL = "all", "All participants"
    COORDINATORS = "coordinators", "Coordinators only"
    ORGANISATION = "organisation", "One organisation (and coordinators)"


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(help_text="Markdown; raw HTML is removed.")
    visibility = models.CharField(
        max_length=20, choices=CommentVisibility.choices, default=CommentVisibility.ALL
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="comment_case_created")]

    def __str__(self) -> str:
        return f"Comment #{self.pk} on {self.case_id}"


def private_upload_path(instance: Attachment, filename: str) -> str:
    # Random name: the original name is kept in a field, never used on disk.
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=private_upload_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(report__isnull=False),
                name="attachment_has_case_or_report",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


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


# API-only models live in their own module; importing them here registers them.
# Account and audit models live with their feature code; importing them registers them.
from cases.accounts.models import Invitation  # noqa: E402, F401
from cases.api_models import ApiToken, IdempotencyRecord  # noqa: E402, F401
from cases.audit import AuditEvent  # noqa: E402, F401
from cases.duplicate_documents import CaseSearchDocument  # noqa: E402, F401
from cases.report_batches import ReportBatch  # noqa: E402, F401
