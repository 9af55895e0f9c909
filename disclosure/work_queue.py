"""The disclosure app's sections of the SIRT's work queue
(``cases.dashboard.register_queue_source``, called by ``DisclosureConfig.ready``):
advisories waiting for *this* coordinator's review, and embargo date proposals waiting
for a coordinator's decision. Each is a count and its first rows, in two queries."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from cases.dashboard import QueueItem, QueueSection, age_text
from cases.models import Case
from cases.types import User
from disclosure.models import Advisory, AdvisoryState, EmbargoProposal, ProposalState


def advisories_to_review(user: User, limit: int) -> QueueSection:
    """In review and neither written nor submitted by ``user`` (a second coordinator
    approves: ``Advisory.is_own_work``), longest waiting first."""
    advisories = (
        Advisory.objects.filter(
            state=AdvisoryState.IN_REVIEW, case__in=Case.objects.visible_to(user)
        )
        .exclude(author=user)
        .exclude(submitted_by=user)
        .select_related("case", "submitted_by")
        .order_by("submitted_at", "id")
    )
    count = advisories.count()
    now = timezone.now()
    items = [
        QueueItem(
            label=f"{a.case.reference}: {a.title}",
            url=a.case.get_absolute_url() + "#advisory",
            since=a.submitted_at,
            detail=(
                f"submitted by {a.submitted_by.get_username() if a.submitted_by else 'someone'}"
                + (f", {age_text(a.submitted_at, now)} ago" if a.submitted_at else "")
            ),
        )
        for a in (advisories[:limit] if count else [])
    ]
    return QueueSection(
        key="advisory_review",
        title="Advisories waiting for your review",
        items=items,
        count=count,
        empty="No advisory waits for your review.",
    )


def proposals_to_decide(user: User, limit: int) -> QueueSection:
    """Open embargo date proposals, oldest first, with how participants answered."""
    proposals = (
        EmbargoProposal.objects.filter(
            state=ProposalState.PROPOSED, embargo__case__in=Case.objects.visible_to(user)
        )
        .select_related("embargo__case", "proposer")
        .annotate(
            agreed=Count("responses", filter=Q(responses__stance="agree")),
            objected=Count("responses", filter=Q(responses__stance="object")),
        )
        .order_by("created_at", "id")
    )
    count = proposals.count()
    now = timezone.now()
    items = [
        QueueItem(
            label=f"{p.embargo.case.reference}: public on {p.public_at:%Y-%m-%d %H:%M} UTC",
            url=p.embargo.case.get_absolute_url() + "#embargo",
            since=p.created_at,
            detail=(
                f"proposed by {p.proposer.get_username()} {age_text(p.created_at, now)} ago; "
                # Annotated by the query above; the stubs cannot see annotations.
                f"{p.agreed} agree, {p.objected} object"  # type: ignore[attr-defined]
            ),
        )
        for p in (proposals[:limit] if count else [])
    ]
    return QueueSection(
        key="embargo_proposals",
        title="Embargo dates to decide",
        items=items,
        count=count,
        empty="No date proposal waits for a decision.",
    )
