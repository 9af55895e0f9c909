"""``{% load advisory_tags %}{% advisory_panel case access %}``: the advisory panel of
the case page (the draft, its review state and the coordinators' buttons)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import template
from django.db.models import Prefetch

from cases.access import CaseAccess
from cases.models import Case
from disclosure.access import can_approve_advisory
from disclosure.advisories.content import as_read_by, publication_for
from disclosure.advisories.publication import embargo_has_lifted
from disclosure.models import Advisory, AdvisoryState
from disclosure.models.advisory import OPEN_CHANGE_STATES, AdvisoryChange, AdvisoryChangeState

register = template.Library()


@register.inclusion_tag("disclosure/advisories/_panel.html", takes_context=True)
def advisory_panel(context: template.Context, case: Case, access: CaseAccess) -> dict[str, Any]:
    user = context.get("user")
    advisory = (
        Advisory.objects.filter(case=case)
        .prefetch_related(
            "revisions",
            Prefetch(
                "changes",
                queryset=AdvisoryChange.objects.filter(state__in=OPEN_CHANGE_STATES).select_related(
                    "requested_by", "reviewer"
                ),
            ),
        )
        .first()
    )
    out: dict[str, Any] = {
        "case": case,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "advisory": advisory,
        "visible": access is not None and access.can("view_advisory_draft"),
        "public": advisory is not None and advisory.is_public,
    }
    if not out["visible"]:
        return out
    can_manage = access.can("manage_case")
    # A published advisory's revision or withdrawal is reviewed like the first publication.
    change = advisory.open_change if advisory is not None and advisory.is_public else None
    in_review = advisory is not None and (
        advisory.state == AdvisoryState.IN_REVIEW
        or (change is not None and change.state == AdvisoryChangeState.IN_REVIEW)
    )
    # The approve button: the predicate ``services.take_step`` enforces.
    can_approve = in_review and advisory is not None and can_approve_advisory(access, advisory)
    pub = publication_for(advisory, preview=True) if advisory else None
    if pub is not None:
        # Titles and credits as this participant may read them (cases.access).
        pub = dataclasses.replace(pub, content=as_read_by(pub.content, access))
    out.update(
        {
            "can_manage": can_manage,
            "pub": pub,
            "embargo_lifted": embargo_has_lifted(case),
            "public_at": getattr(case.embargo_or_none, "public_at", None),
            "can_approve": can_approve,
            "needs_second": can_manage and in_review and not can_approve,
            "revisions": list(advisory.revisions.all()) if advisory else [],
            "change": change,
        }
    )
    return out
