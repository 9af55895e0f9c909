"""Advisories: the public document of a case, its review and its published revisions.

Life cycle (each step one method below: lock, check, change, timeline entry)::

    draft --submit--> in_review --approve (a second coordinator)--> approved
      ^                  |                                            |
      +--request_changes-+                                      schedule
      +--recall (from in_review, approved, scheduled)-----------------+
                                                                      v
    published <--publish (only once the embargo has lifted)------ scheduled
        |
        +--submit_revision / request_withdrawal --> AdvisoryChange in_review
               --approve_change (a second coordinator)--> approved
               --publish_change--> revision n+1 (or the withdrawal, as revision n+1)

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
from disclosure.advisories.formats.affected import REFERENCE_TYPES, reference_type
from disclosure.models.embargo import embargo_has_lifted
from disclosure.models.gate import publication_gate_refusal


class AdvisoryState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


DRAFT_PREFIX = "DRAFT-"
EDITABLE_STATES = frozenset({AdvisoryState.DRAFT, AdvisoryState.PUBLISHED})
CONTENT_FIELDS = (
    "title",
    "summary",
    "details",
    "workarounds",
    "vulnerability_workarounds",
    "references",
)


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
    # Workarounds for every vulnerability of the advisory, then the ones that concern
    # only one: {"<vulnerability id>": "Markdown"} (the formats attach each to its own).
    workarounds = models.TextField(blank=True, help_text="Markdown.")
    vulnerability_workarounds = models.JSONField(default=dict, blank=True)
    # [{"url": "https://...", "label": "Fix commit", "type": "fix"}]
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
    # When the publication was withdrawn (a reviewed ``AdvisoryChange`` of kind
    # withdrawal): the advisory stays public, its files say it is withdrawn.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
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
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def open_change(self) -> AdvisoryChange | None:
        """The change of this published advisory in review or approved, if any."""
        changes = getattr(self, "_prefetched_objects_cache", {}).get("changes")
        if changes is not None:
            return next((c for c in changes if c.is_open), None)
        return self.changes.filter(state__in=OPEN_CHANGE_STATES).first()

    @property
    def is_editable(self) -> bool:
        """A draft; or a published advisory's working copy while no change of it is in
        review (what the reviewer approves must be what gets published)."""
        if self.state == AdvisoryState.DRAFT:
            return True
        return (
            self.state == AdvisoryState.PUBLISHED
            and not self.is_withdrawn
            and self.open_change is None
        )

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
        """Whether ``user`` wrote or submitted what is up for approval: they may not
        approve it (a second coordinator must; ``disclosure.access.can_approve_advisory``).
        For a published advisory that is its open change (revision or withdrawal):
        whoever requested it or edited the working copy since the last publication."""
        pk = getattr(user, "pk", None)
        if pk is None:
            return False
        if self.state == AdvisoryState.PUBLISHED:
            change = self.open_change
            return change is not None and change.is_own_work(user)
        return pk in (self.author_id, self.submitted_by_id)

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
            # Never the case summary: it is the SIRT's internal note (it may name the
            # reporter). The vulnerabilities' descriptions are written for the public.
            descriptions = case.vulnerabilities.exclude(description="").order_by("created_at", "id")
            summary = "\n\n".join(
                d.strip() for d in descriptions.values_list("description", flat=True)
            )
            advisory = cls.objects.create(
                case=case,
                identifier=f"{DRAFT_PREFIX}{case.reference}",
                title=title,
                summary=summary,
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
        cleaned = clean_content(
            # A draft may be saved without a summary yet ("Start" leaves it empty when
            # no vulnerability has a description); ``submit`` asks for it.
            require_summary=self.state != AdvisoryState.DRAFT,
            **{f: content.get(f, getattr(self, f)) for f in CONTENT_FIELDS},
        )
        with transaction.atomic():
            advisory = self._locked()
            if advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            if advisory.state not in EDITABLE_STATES:
                raise TransitionError(
                    f"This advisory is {advisory.get_state_display().lower()}; take it "
                    "back to a draft before editing."
                )
            if advisory.is_withdrawn:
                raise TransitionError(
                    "This advisory has been withdrawn; it is not edited any more."
                )
            if advisory.state == AdvisoryState.PUBLISHED and advisory.open_change is not None:
                raise TransitionError(
                    "A change of this advisory is in review: cancel it (or have it sent "
                    "back) before editing, so the reviewer approves what gets published."
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
        def complete(advisory: Advisory) -> None:
            # A draft may start empty ("Start the advisory" copies no internal text).
            if not advisory.summary.strip():
                raise TransitionError("Write the summary before submitting the advisory.")

        return self._transition(
            actor,
            sources={AdvisoryState.DRAFT},
            target=AdvisoryState.IN_REVIEW,
            action="submitted",
            expected_version=expected_version,
            check=complete,
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

    def recall(self, actor: User, *, expected_version: int | None = None) -> Advisory:
        """Take an unpublished advisory back to a draft (to edit it); the approval is
        dropped and must be given again. (Withdrawing a *published* advisory is
        ``request_withdrawal``: a reviewed change, public in the formats.)"""
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
            # The release gate (disclosure/README.md "Release gate"): every fix released,
            # or a coordinator's override in force.
            refusal = publication_gate_refusal(advisory.case, lock=True)
            if refusal is not None:
                raise TransitionError(refusal)
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

    # -- changes to a published advisory: revision or withdrawal, reviewed like the
    # first publication (request -> a second coordinator approves -> publish).
    def _open_change_locked(self) -> AdvisoryChange | None:
        return (
            AdvisoryChange.objects.select_for_update()
            .filter(advisory=self, state__in=OPEN_CHANGE_STATES)
            .first()
        )

    def _editors_since_publication(self) -> list[int]:
        current = self.current_revision
        edits = self.case.timeline.filter(action="case.advisory.edited")
        if current is not None:
            edits = edits.filter(created_at__gte=current.published_at)
        return sorted({pk for pk in edits.values_list("actor_id", flat=True) if pk})

    def _request_change(
        self, actor: User, *, kind: str, summary: str, expected_version: int | None
    ) -> AdvisoryChange:
        with transaction.atomic():
            advisory = self._locked()
            if expected_version is not None and advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            if advisory.state != AdvisoryState.PUBLISHED:
                raise TransitionError(
                    "Only a published advisory gets revisions or a withdrawal; this one is "
                    f"{advisory.get_state_display().lower()}."
                )
            if advisory.is_withdrawn:
                raise TransitionError("This advisory has already been withdrawn.")
            if advisory._open_change_locked() is not None:
                raise TransitionError(
                    "A change of this advisory is already in review: finish or cancel it first."
                )
            now = timezone.now()
            change = AdvisoryChange.objects.create(
                advisory=advisory,
                kind=kind,
                summary=summary,
                requested_by=actor,
                requested_at=now,
                editor_ids=advisory._editors_since_publication(),
            )
            advisory.version += 1
            advisory.updated_at = now
            advisory.save()
            advisory.case.log(
                actor,
                "case.advisory.revision_submitted"
                if kind == AdvisoryChangeKind.REVISION
                else "case.advisory.withdrawal_requested",
                {"advisory": advisory.identifier, "change": change.pk, "kind": kind},
            )
            events.emit("advisory.submitted", case_id=advisory.case_id, advisory_id=advisory.pk)
        return change

    def submit_revision(
        self, actor: User, *, summary: str, expected_version: int | None = None
    ) -> AdvisoryChange:
        """Ask a second coordinator to approve the working copy as the next revision."""
        summary = (summary or "").strip()
        if not summary:
            raise ValidationError({"revision_summary": "Say what changed in this revision."})
        if len(summary) > 300:
            raise ValidationError({"revision_summary": "Keep it under 300 characters."})
        return self._request_change(
            actor,
            kind=AdvisoryChangeKind.REVISION,
            summary=summary,
            expected_version=expected_version,
        )

    def request_withdrawal(
        self, actor: User, *, reason: str, expected_version: int | None = None
    ) -> AdvisoryChange:
        """Ask a second coordinator to approve withdrawing the publication; ``reason``
        is public (the page, OSV, CVE ``rejectedReasons``, CSAF notes)."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": "Give the public reason for the withdrawal."})
        if len(reason) > 1000:
            raise ValidationError({"reason": "Keep the reason under 1000 characters."})
        return self._request_change(
            actor,
            kind=AdvisoryChangeKind.WITHDRAWAL,
            summary=reason,
            expected_version=expected_version,
        )

    def _change_step(
        self,
        actor: User,
        *,
        sources: tuple[str, ...],
        action: str,
        expected_version: int | None,
        apply: Any,
        data: dict[str, Any] | None = None,
    ) -> Advisory:
        """Lock the advisory and its open change, check, ``apply(advisory, change)``, log."""
        with transaction.atomic():
            advisory = self._locked()
            if expected_version is not None and advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            change = advisory._open_change_locked() if advisory.is_public else None
            if change is None or change.state not in sources:
                raise TransitionError("There is no change of this advisory waiting for this step.")
            apply(advisory, change)
            change.save()
            advisory.version += 1
            advisory.updated_at = timezone.now()
            advisory.save()
            advisory.case.log(
                actor,
                f"case.advisory.{action}",
                {
                    "advisory": advisory.identifier,
                    "change": change.pk,
                    "kind": change.kind,
                    **(data or {}),
                },
            )
        return advisory

    def approve_change(self, actor: User, *, expected_version: int | None = None) -> Advisory:
        """A second coordinator approves the open change: never who requested it, never
        who edited the working copy since the last publication."""

        def approve(advisory: Advisory, change: AdvisoryChange) -> None:
            if change.is_own_work(actor):
                raise TransitionError(
                    "A second coordinator must approve: not who requested this change and "
                    "not who edited the advisory since it was last published."
                )
            change.state = AdvisoryChangeState.APPROVED
            change.reviewer = actor
            change.approved_at = timezone.now()

        return self._change_step(
            actor,
            sources=(AdvisoryChangeState.IN_REVIEW,),
            action="change_approved",
            expected_version=expected_version,
            apply=approve,
        )

    def send_back_change(
        self, actor: User, *, reason: str, expected_version: int | None = None
    ) -> Advisory:
        """The reviewer refuses the change, saying why; the working copy stays editable."""
        if not (reason or "").strip():
            raise ValidationError({"reason": "Say what should change."})

        def send_back(advisory: Advisory, change: AdvisoryChange) -> None:
            change.state = AdvisoryChangeState.SENT_BACK
            change.closed_at = timezone.now()

        return self._change_step(
            actor,
            sources=(AdvisoryChangeState.IN_REVIEW,),
            action="change_sent_back",
            expected_version=expected_version,
            apply=send_back,
            data={"reason": reason.strip()},
        )

    def cancel_change(self, actor: User, *, expected_version: int | None = None) -> Advisory:
        """Drop the open change (in review or approved) before it is published."""

        def cancel(advisory: Advisory, change: AdvisoryChange) -> None:
            change.state = AdvisoryChangeState.CANCELLED
            change.closed_at = timezone.now()

        return self._change_step(
            actor,
            sources=OPEN_CHANGE_STATES,
            action="change_cancelled",
            expected_version=expected_version,
            apply=cancel,
        )

    def publish_change(
        self,
        actor: User,
        *,
        now: dt.datetime | None = None,
        expected_version: int | None = None,
    ) -> Advisory:
        """Publish the approved change: the next revision, or the withdrawal."""
        now = now or timezone.now()
        with transaction.atomic():
            advisory = self._locked()
            if expected_version is not None and advisory.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            change = advisory._open_change_locked() if advisory.is_public else None
            if change is None or change.state != AdvisoryChangeState.APPROVED:
                raise TransitionError(
                    "Only an approved change is published: a second coordinator approves it first."
                )
            advisory.updated_at = now
            advisory.version += 1
            if change.kind == AdvisoryChangeKind.WITHDRAWAL:
                advisory.withdrawn_at = now
                advisory._freeze_withdrawal(actor, reason=change.summary, now=now)
            else:
                advisory._freeze(actor, summary=change.summary, now=now)
            change.state = AdvisoryChangeState.PUBLISHED
            change.closed_at = now
            change.revision_number = advisory.revision
            change.save()
            data = {"advisory": advisory.identifier, "revision": advisory.revision}
            if change.kind == AdvisoryChangeKind.WITHDRAWAL:
                advisory.case.log(actor, "case.advisory.publication_withdrawn", data)
                audit.record(
                    "advisory.publication_withdrawn",
                    actor=actor,
                    obj=advisory.case,
                    advisory=advisory.identifier,
                    revision=advisory.revision,
                )
                events.emit("advisory.withdrawn", case_id=advisory.case_id, advisory_id=advisory.pk)
            else:
                advisory.case.log(actor, "case.advisory.revised", data)
        return advisory

    def _assign_osv_ids(self, now: dt.datetime) -> dict[int, str]:
        """The OSV id of each vulnerability of the case, allocating those not published
        before (caller holds the row lock, in the publishing transaction): an id is
        shown to nobody outside the SIRT before this, and never changes after."""
        ids = dict(self.osv_ids.values_list("vulnerability_id", "osv_id"))
        vulnerabilities = self.case.vulnerabilities.order_by("created_at", "id")
        for pk in vulnerabilities.values_list("pk", flat=True):
            if pk not in ids:
                ids[pk] = OsvIdCounter.next_identifier(now.year)
                OsvIdentifier.objects.create(
                    osv_id=ids[pk], advisory=self, vulnerability_id=pk, assigned_at=now
                )
        return ids

    def _freeze(self, actor: User, *, summary: str, now: dt.datetime) -> AdvisoryRevision:
        """Write the next revision with the public content; caller holds the row lock."""
        previous = self.current_revision
        self.revision += 1
        self.save()
        content = build_content(
            self,
            previous=previous.content if previous else None,
            osv_ids=self._assign_osv_ids(now),
        )
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

    def _freeze_withdrawal(self, actor: User, *, reason: str, now: dt.datetime) -> AdvisoryRevision:
        """The withdrawal as the next revision: the content published last, unchanged
        (unreviewed edits of the working copy are not published with it), marked
        withdrawn with the public reason. Caller holds the row lock."""
        previous = self.current_revision
        assert previous is not None, "only a published advisory is withdrawn"
        self.revision += 1
        self.save()
        content = {**previous.content, "withdrawn": {"at": now.isoformat(), "reason": reason}}
        summary = f"Withdrawn: {reason}"
        if len(summary) > 300:
            summary = summary[:299] + "…"
        return AdvisoryRevision.objects.create(
            advisory=self,
            number=self.revision,
            summary=summary,
            published_at=now,
            published_by=actor if getattr(actor, "pk", None) else None,
            content=content,
            search_text=previous.search_text,
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


class AdvisoryChangeKind(models.TextChoices):
    REVISION = "revision", "Revision"
    # The withdrawal of a *published* advisory (OSV ``withdrawn``, CVE ``REJECTED``);
    # not ``Advisory.recall``, which takes an unpublished one back to a draft.
    WITHDRAWAL = "withdrawal", "Withdrawal of the publication"


class AdvisoryChangeState(models.TextChoices):
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    SENT_BACK = "sent_back", "Sent back"
    CANCELLED = "cancelled", "Cancelled"


OPEN_CHANGE_STATES = (AdvisoryChangeState.IN_REVIEW, AdvisoryChangeState.APPROVED)


class AdvisoryChange(models.Model):
    """A change to a published advisory (a revision, or its withdrawal), reviewed by a
    second coordinator exactly as the first publication was: requested, approved by
    someone who neither requested it nor wrote the edits, then published.

    ``summary`` is public: the revision's "what changed", or the withdrawal's reason.
    At most one change of an advisory is open (in review or approved) at a time.
    """

    advisory = models.ForeignKey(Advisory, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=20, choices=AdvisoryChangeKind.choices)
    state = models.CharField(
        max_length=20, choices=AdvisoryChangeState.choices, default=AdvisoryChangeState.IN_REVIEW
    )
    summary = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # Who edited the working copy since the last publication: none of them may approve.
    editor_ids = models.JSONField(default=list, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The revision number it became, once published.
    revision_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["advisory"],
                condition=Q(state__in=["in_review", "approved"]),
                name="one_open_change_per_advisory",
            )
        ]

    def __str__(self) -> str:
        return f"{self.advisory_id} {self.kind} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CHANGE_STATES

    def is_own_work(self, user: AnyUser | None) -> bool:
        pk = getattr(user, "pk", None)
        return pk is not None and (pk == self.requested_by_id or pk in self.editor_ids)


class OsvIdCounter(YearCounter):
    """Per-year sequence of OSV record ids (``<OSV_ID_PREFIX>-<year>-<nnnn>``)."""

    @classmethod
    def next_identifier(cls, year: int) -> str:
        """Allocate the next OSV id; call inside the transaction that publishes."""
        return f"{settings.OSV_ID_PREFIX}-{year}-{cls.allocate(year):04d}"


class OsvIdentifier(models.Model):
    """The OSV id of one vulnerability of an advisory: assigned when the vulnerability is
    first published and never changed (nor reused) afterwards. Also the index the
    public ``/advisories/osv/<id>.json`` looks ids up in, legacy ids included."""

    osv_id = models.CharField(max_length=60, unique=True)
    advisory = models.ForeignKey(Advisory, on_delete=models.PROTECT, related_name="osv_ids")
    # The vulnerability's primary key as published (content["vulnerabilities"][]
    # ["vulnerability_id"]); not a foreign key: a vulnerability removed from the case
    # later keeps its id reserved in the published history.
    vulnerability_id = models.PositiveIntegerField()
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "OSV identifier"
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "vulnerability_id"], name="one_osv_id_per_vulnerability"
            )
        ]

    def __str__(self) -> str:
        return self.osv_id


# --------------------------------------------------------------------------- validation

_url = URLValidator(schemes=["http", "https"])


def clean_references(value: Any) -> list[dict[str, str]]:
    """References as a list of {"url", "label", "type"}; accepts "[type] URL label"
    lines too. The type (``REFERENCE_TYPES``: fix, report, advisory, package...) is
    what OSV and CVE say of the link; without one it is guessed from the URL (a
    commit or pull request is the fix, an issue the report, anything else web)."""
    if isinstance(value, str):
        items = []
        for line in value.splitlines():
            line = line.strip()
            if not line:
                continue
            first, _, rest = line.partition(" ")
            kind = ""
            if first.lower() in REFERENCE_TYPES:
                kind, (first, _, rest) = first.lower(), rest.strip().partition(" ")
            items.append({"url": first, "label": rest.strip(), "type": kind})
        value = items
    cleaned: list[dict[str, str]] = []
    for n, item in enumerate(value or [], start=1):
        if not isinstance(item, dict):
            raise ValidationError({"references": f"Line {n}: give a URL (and a label)."})
        url = str(item.get("url", "")).strip()
        try:
            _url(url)
        except ValidationError:
            raise ValidationError(
                {
                    "references": f"Line {n}: {url!r} is not an http(s) URL. Start the line "
                    "with the URL, or with its type and then the URL "
                    f"({', '.join(REFERENCE_TYPES)})."
                }
            ) from None
        kind = str(item.get("type") or "").strip().lower() or reference_type(url)
        if kind not in REFERENCE_TYPES:
            raise ValidationError(
                {
                    "references": f"Line {n}: {kind!r} is not a reference type; use one of "
                    f"{', '.join(REFERENCE_TYPES)}."
                }
            )
        label = str(item.get("label", "")).strip()[:200]
        if url not in {c["url"] for c in cleaned}:
            cleaned.append({"url": url, "label": label, "type": kind})
    return cleaned


def clean_content(*, require_summary: bool = True, **content: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = str(content.get("title") or "").strip()
    summary = str(content.get("summary") or "").strip()
    if not title:
        errors["title"] = "Give the advisory a title."
    elif len(title) > 300:
        errors["title"] = "Keep the title under 300 characters."
    if not summary and require_summary:
        errors["summary"] = "Write a short summary; it is the first thing readers see."
    try:
        references = clean_references(content.get("references") or [])
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        references = []
    per_vulnerability = content.get("vulnerability_workarounds") or {}
    if not isinstance(per_vulnerability, dict) or not all(
        str(k).isdigit() and isinstance(v, str) for k, v in per_vulnerability.items()
    ):
        errors["vulnerability_workarounds"] = (
            "Give each workaround as text under the id of the vulnerability it concerns."
        )
        per_vulnerability = {}
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "summary": summary,
        "details": str(content.get("details") or ""),
        "workarounds": str(content.get("workarounds") or ""),
        "vulnerability_workarounds": {
            str(k): v.strip() for k, v in sorted(per_vulnerability.items()) if v.strip()
        },
        "references": references,
    }
