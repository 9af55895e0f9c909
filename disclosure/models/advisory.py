"""Advisories: the public document of a case, its review and its published revisions.

Life cycle (each step one method below: lock, check, change, timeline entry)::

    draft --submit--> in_review --approve (a second coordinator)--> approved
      ^                  |                                            |
      +--request_changes-+                                      schedule
      +--withdraw (from in_review, approved, scheduled)---------------+
                                                                      v
    published <--publish (only once the embargo has lifted)------ scheduled
        |
        +--publish_revision (edited working copy + summary) --> published, revision n+1

What the public sees is never the working copy on ``Advisory`` but the frozen
``AdvisoryRevision.content`` of the latest revision, written in the transaction
that publishes it; so editing a published advisory shows nothing until the next
revision is published, and the public history is kept revision by revision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cases import audit, events
from cases.access import CASE_TITLE_UNDER_REVIEW
from cases.models import TRANSITIONS, Case, StaleEdit, TransitionError, YearCounter
from cases.types import AnyUser, User
from disclosure.advisories.content import build_content
from disclosure.models.embargo import embargo_has_lifted


class AdvisoryState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


DRAFT_PREFIX = "DRAFT-"
EDITABLE_STATES = frozenset({AdvisoryState.DRAFT, AdvisoryState.PUBLISHED})
CONTENT_FIELDS = ("title", "summary", "details", "workarounds", "references")


class AdvisoryCounter(YearCounter):
    @classmethod
    def next_identifier(cls, year: int) -> str:
        """Allocate the next identifier; call inside the transaction that publishes."""
        return f"{settings.ADVISORY_ID_PREFIX}-{year}-{cls.allocate(year):04d}"


class AdvisoryQuerySet(models.QuerySet):
    def published(self) -> AdvisoryQuerySet:
        """The only advisories anyone outside a case may learn about."""
        return self.filter(state=AdvisoryState.PUBLISHED, revision__gte=1)

    def search(self, text: str) -> AdvisoryQuerySet:
        """Search the published text (identifier, title, summary, CVE ids).

        Works on the frozen public content, never on the working copy, so an
        unpublished edit of a published advisory cannot be found by its words.
        """
        text = (text or "").strip()
        if not text:
            return self
        latest = AdvisoryRevision.objects.filter(
            advisory=models.OuterRef("pk"), number=models.OuterRef("revision")
        )
        matching = latest.filter(
            Q(content__title__icontains=text)
            | Q(content__summary__icontains=text)
            | Q(search_text__icontains=text)
        )
        return self.filter(Q(identifier__iexact=text) | Q(models.Exists(matching)))


class Advisory(models.Model):
    """The public document of a case. Content fields are the working copy; each
    publication freezes them into a new ``AdvisoryRevision``."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="advisory")
    # Public identifier, e.g. AKRITES-2026-0007, allocated when first published (so the
    # public sequence has no gaps that would betray advisories still under embargo);
    # until then a provisional DRAFT-<case reference>, shown to participants only.
    identifier = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    summary = models.TextField()
    details = models.TextField(blank=True, help_text="Markdown.")
    workarounds = models.TextField(blank=True, help_text="Markdown.")
    # [{"url": "https://...", "label": "Fix commit"}]
    references = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=20, choices=AdvisoryState.choices, default=AdvisoryState.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_advisories"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Bumped by each published revision (1 = initial publication).
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = AdvisoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "advisories"
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["state", "-published_at"], name="advisory_state_published")]

    def __str__(self) -> str:
        return self.identifier

    def get_absolute_url(self) -> str:
        return reverse("advisories:detail", args=[self.identifier])

    # -- facts about this row
    @property
    def is_public(self) -> bool:
        return self.state == AdvisoryState.PUBLISHED and self.revision >= 1

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def has_public_identifier(self) -> bool:
        return not self.identifier.startswith(DRAFT_PREFIX)

    @property
    def year(self) -> int:
        return int(self.identifier.rsplit("-", 2)[-2])

    @property
    def sequence(self) -> str:
        """``2026-0007`` of ``AKRITES-2026-0007``: the part other identifiers reuse."""
        return "-".join(self.identifier.rsplit("-", 2)[-2:])

    @property
    def current_revision(self) -> AdvisoryRevision | None:
        if self.revision < 1:
            return None
        revisions = getattr(self, "_prefetched_objects_cache", {}).get("revisions")
        if revisions is not None:
            return next((r for r in revisions if r.number == self.revision), None)
        return self.revisions.filter(number=self.revision).first()

    @property
    def has_unpublished_changes(self) -> bool:
        """A published advisory whose working copy differs from what the public sees."""
        current = self.current_revision
        if current is None:
            return False
        return any(getattr(self, f) != current.content.get(f) for f in CONTENT_FIELDS)

    def is_own_work(self, user: AnyUser | None) -> bool:
        """Whether ``user`` wrote or submitted this advisory: they may not approve it
        (a second coordinator must; ``disclosure.access.can_approve_advisory``)."""
        pk = getattr(user, "pk", None)
        return pk is not None and pk in (self.author_id, self.submitted_by_id)

    # -- state changes
    @classmethod
    def create_for_case(cls, case: Case, actor: User) -> Advisory:
        """Start the draft of a case's advisory, pre-filled from the case."""
        now = timezone.now()
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case.pk)
            if cls.objects.filter(case=case).exists():
                raise TransitionError("This case already has an advisory.")
            title = case.title
            if case.title_from_report_id is not None:
                # Partners and downstream read the draft: a case title still in a
                # reporter's wording is not copied into it (cases.access); a neutral
                # title that reads well even if it is published as it is.
                names = list(case.projects.order_by("name").values_list("name", flat=True))
                title = f"Vulnerability in {', '.join(names)}" if names else CASE_TITLE_UNDER_REVIEW
            advisory = cls.objects.create(
                case=case,
                identifier=f"{DRAFT_PREFIX}{case.reference}",
                title=title,
                summary=case.summary or title,
                author=actor,
                created_at=now,
                updated_at=now,
            )
            case.log(actor, "case.advisory.created", {"advisory": advisory.identifier})
            case.touch()
        return advisory

    def _locked(self) -> Advisory:
        # of=("self",): lock the advisory only; the case row is locked by the case's
        # own methods when they change it.
        return (
            Advisory.objects.select_for_update(of=("self",)).select_related("case").get(pk=self.pk)
        )

    def _transition(
        self,
        actor: User,
        *,
        sources: frozenset[str] | set[str],
        target: str,
        action: str,
        expected_version: int | None = None,
        check: Any = None,
        changes: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        event: str | None = None,
    ) -> Advisory:
        """Lock, check the state (and the caller's rule), change, log, notify: one transaction."""
        with transaction.atomic():
            advisory = self._locked()
            if expected_version is not None and advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            if advisory.state not in sources:
                raise TransitionError(
                    f"This advisory is {advisory.get_state_display().lower()}; "
                    f"it cannot be {action.replace('_', ' ')} now."
                )
            if check is not None:
                check(advisory)
            old = advisory.state
            for name, value in (changes or {}).items():
                setattr(advisory, name, value)
            advisory.state = target
            advisory.version += 1
            advisory.updated_at = timezone.now()
            advisory.save()
            advisory.case.log(
                actor,
                f"case.advisory.{action}",
                {"advisory": advisory.identifier, "from": old, "to": target, **(data or {})},
            )
            if event:
                events.emit(event, case_id=advisory.case_id, advisory_id=advisory.pk)
        return advisory

    def edit(self, actor: User, *, expected_version: int, **content: Any) -> Advisory:
        """Change the working copy (draft, or a published advisory's next revision)."""
        unknown = set(content) - set(CONTENT_FIELDS)
        if unknown:
            raise ValueError(f"Not advisory content: {sorted(unknown)}")
        cleaned = clean_content(**{f: content.get(f, getattr(self, f)) for f in CONTENT_FIELDS})
        with transaction.atomic():
            advisory = self._locked()
            if advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            if advisory.state not in EDITABLE_STATES:
                raise TransitionError(
                    f"This advisory is {advisory.get_state_display().lower()}; withdraw it "
                    "to a draft before editing."
                )
            changed = [f for f in CONTENT_FIELDS if getattr(advisory, f) != cleaned[f]]
            for name, value in cleaned.items():
                setattr(advisory, name, value)
            advisory.version += 1
            advisory.updated_at = timezone.now()
            advisory.save()
            advisory.case.log(
                actor, "case.advisory.edited", {"advisory": advisory.identifier, "fields": changed}
            )
        return advisory

    def submit(self, actor: User, *, expected_version: int | None = None) -> Advisory:
        return self._transition(
            actor,
            sources={AdvisoryState.DRAFT},
            target=AdvisoryState.IN_REVIEW,
            action="submitted",
            expected_version=expected_version,
            changes={"submitted_by": actor, "submitted_at": timezone.now(), "reviewer": None},
            event="advisory.submitted",
        )

    def approve(self, actor: User, *, expected_version: int | None = None) -> Advisory:
        """A second coordinator approves: never the author, never the one who submitted."""

        def second_pair_of_eyes(advisory: Advisory) -> None:
            if advisory.is_own_work(actor):
                raise TransitionError(
                    "A second coordinator must approve: not the author and not the "
                    "coordinator who submitted it."
                )

        return self._transition(
            actor,
            sources={AdvisoryState.IN_REVIEW},
            target=AdvisoryState.APPROVED,
            action="approved",
            expected_version=expected_version,
            check=second_pair_of_eyes,
            changes={"reviewer": actor, "approved_at": timezone.now()},
        )

    def request_changes(
        self, actor: User, *, reason: str, expected_version: int | None = None
    ) -> Advisory:
        if not reason.strip():
            raise ValidationError({"reason": "Say what should change."})
        return self._transition(
            actor,
            sources={AdvisoryState.IN_REVIEW},
            target=AdvisoryState.DRAFT,
            action="changes_requested",
            expected_version=expected_version,
            changes={"reviewer": None, "approved_at": None},
            data={"reason": reason.strip()},
        )

    def withdraw(self, actor: User, *, expected_version: int | None = None) -> Advisory:
        """Back to a draft (to edit it); the approval is dropped and must be given again."""
        return self._transition(
            actor,
            sources={AdvisoryState.IN_REVIEW, AdvisoryState.APPROVED, AdvisoryState.SCHEDULED},
            target=AdvisoryState.DRAFT,
            action="withdrawn",
            expected_version=expected_version,
            changes={"reviewer": None, "approved_at": None, "scheduled_at": None},
        )

    def schedule(self, actor: User, *, expected_version: int | None = None) -> Advisory:
        """Publish automatically once the embargo lifts (``publish_due_advisories``)."""
        return self._transition(
            actor,
            sources={AdvisoryState.APPROVED},
            target=AdvisoryState.SCHEDULED,
            action="scheduled",
            expected_version=expected_version,
            changes={"scheduled_at": timezone.now()},
            event="advisory.scheduled",
        )

    def publish(
        self,
        actor: User | None = None,
        *,
        now: dt.datetime | None = None,
        expected_version: int | None = None,
        skip_locked: bool = False,
    ) -> Advisory | None:
        """Publish an approved or scheduled advisory whose embargo has lifted.

        ``actor`` None is the scheduler. With ``skip_locked`` a row another worker
        holds is skipped (returns None) instead of waited for: the publication
        function uses it so that two workers never publish the same advisory.
        """
        now = now or timezone.now()
        with transaction.atomic():
            qs = Advisory.objects.select_related("case")
            qs = qs.select_for_update(skip_locked=skip_locked, of=("self",))
            advisory = qs.filter(pk=self.pk).first()
            if advisory is None:
                return None
            if skip_locked and advisory.state != AdvisoryState.SCHEDULED:
                return None  # someone else published it between our look and our lock
            if expected_version is not None and advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            if advisory.state not in (AdvisoryState.APPROVED, AdvisoryState.SCHEDULED):
                raise TransitionError(
                    f"This advisory is {advisory.get_state_display().lower()}; only an "
                    "approved or scheduled advisory can be published."
                )
            if not embargo_has_lifted(advisory.case, now, lock=True):
                raise TransitionError("The embargo has not lifted yet.")
            old = advisory.state
            provisional = advisory.identifier
            if not advisory.has_public_identifier:
                advisory.identifier = AdvisoryCounter.next_identifier(now.year)
            advisory.state = AdvisoryState.PUBLISHED
            advisory.published_at = now
            advisory.updated_at = now
            advisory.version += 1
            advisory._freeze(actor, summary="Initial public release.", now=now)
            advisory.case.log(
                actor,
                "case.advisory.published",
                {
                    "advisory": advisory.identifier,
                    "from": old,
                    "to": AdvisoryState.PUBLISHED,
                    "revision": advisory.revision,
                    "automatic": actor is None,
                    "provisional": provisional,
                },
            )
            case = advisory.case
            if case.state in TRANSITIONS["publish"][0]:
                advisory.case = case.transition("publish", actor, reason="Advisory published.")
            audit.record(
                "advisory.published",
                actor=actor,
                obj=advisory.case,
                advisory=advisory.identifier,
                revision=advisory.revision,
            )
            events.emit("advisory.published", case_id=advisory.case_id, advisory_id=advisory.pk)
        return advisory

    def publish_revision(
        self, actor: User, *, summary: str, expected_version: int | None = None
    ) -> Advisory:
        """Publish the edited working copy of a published advisory as its next revision."""
        summary = (summary or "").strip()
        if not summary:
            raise ValidationError({"revision_summary": "Say what changed in this revision."})
        if len(summary) > 300:
            raise ValidationError({"revision_summary": "Keep it under 300 characters."})
        now = timezone.now()
        with transaction.atomic():
            advisory = self._locked()
            if expected_version is not None and advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            if advisory.state != AdvisoryState.PUBLISHED:
                raise TransitionError("Only a published advisory gets revisions.")
            advisory.updated_at = now
            advisory.version += 1
            advisory._freeze(actor, summary=summary, now=now)
            advisory.case.log(
                actor,
                "case.advisory.revised",
                {"advisory": advisory.identifier, "revision": advisory.revision},
            )
        return advisory

    def revise(
        self, actor: User, *, expected_version: int, revision_summary: str, **content: Any
    ) -> Advisory:
        """Edit a published advisory and publish the result as its next revision, at once."""
        with transaction.atomic():
            advisory = self._locked()
            if advisory.state != AdvisoryState.PUBLISHED:
                raise TransitionError("Only a published advisory gets revisions.")
            advisory = advisory.edit(actor, expected_version=expected_version, **content)
            return advisory.publish_revision(actor, summary=revision_summary)

    def _freeze(self, actor: User, *, summary: str, now: dt.datetime) -> AdvisoryRevision:
        """Write the next revision with the public content; caller holds the row lock."""
        previous = self.current_revision
        self.revision += 1
        self.save()
        content = build_content(self, previous=previous.content if previous else None)
        return AdvisoryRevision.objects.create(
            advisory=self,
            number=self.revision,
            summary=summary,
            published_at=now,
            published_by=actor if getattr(actor, "pk", None) else None,
            content=content,
            search_text=" ".join(
                v["cve_id"] for v in content["vulnerabilities"] if v.get("cve_id")
            ),
        )


class AdvisoryRevision(models.Model):
    """One published version of an advisory; the history is kept for CSAF tracking.

    ``content`` is everything the public files are made of, frozen at publication
    (see ``disclosure.advisories.content``), so later edits of the case never change a
    published revision.
    """

    advisory = models.ForeignKey(Advisory, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    summary = models.CharField(max_length=300)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    content = models.JSONField(default=dict)
    # CVE ids of the revision, for the public search.
    search_text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["advisory", "number"], name="unique_advisory_revision")
        ]

    def __str__(self) -> str:
        return f"{self.advisory_id} r{self.number}"


# --------------------------------------------------------------------------- validation

_url = URLValidator(schemes=["http", "https"])


def clean_references(value: Any) -> list[dict[str, str]]:
    """References as a list of {"url", "label"}; accepts "URL label" lines too."""
    if isinstance(value, str):
        items = []
        for line in value.splitlines():
            line = line.strip()
            if not line:
                continue
            url, _, label = line.partition(" ")
            items.append({"url": url, "label": label.strip()})
        value = items
    cleaned: list[dict[str, str]] = []
    for n, item in enumerate(value or [], start=1):
        url = str(item.get("url", "")).strip()
        try:
            _url(url)
        except ValidationError:
            raise ValidationError(
                {"references": f"Line {n}: {url!r} is not an http(s) URL."}
            ) from None
        label = str(item.get("label", "")).strip()[:200]
        if url not in {c["url"] for c in cleaned}:
            cleaned.append({"url": url, "label": label})
    return cleaned


def clean_content(**content: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = str(content.get("title") or "").strip()
    summary = str(content.get("summary") or "").strip()
    if not title:
        errors["title"] = "Give the advisory a title."
    elif len(title) > 300:
        errors["title"] = "Keep the title under 300 characters."
    if not summary:
        errors["summary"] = "Write a short summary; it is the first thing readers see."
    try:
        references = clean_references(content.get("references") or [])
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        references = []
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "summary": summary,
        "details": str(content.get("details") or ""),
        "workarounds": str(content.get("workarounds") or ""),
        "references": references,
    }
