"""``{% load advisory_tags %}{% advisory_panel case access %}``: the advisory panel of
the case page (the draft, its review state and the coordinators' buttons)."""

from __future__ import annotations

from typing import Any

from django import template

from cases.access import CaseAccess
from cases.models import Case
from disclosure.content import publication_for
from disclosure.models import Advisory, AdvisoryState
from disclosure.publication import embargo_has_lifted

register = template.Library()


@register.inclusion_tag("disclosure/advisories/_panel.html", takes_context=True)
def advisory_panel(context: template.Context, case: Case, access: CaseAccess) -> dict[str, Any]:
    user = context.get("user")
    advisory = Advisory.objects.filter(case=case).prefetch_related("revisions").first()
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
    state = advisory.state if advisory else None
    is_own = advisory is not None and getattr(user, "pk", None) in (
        advisory.author_id,
        advisory.submitted_by_id,
    )
    out.update(
        {
            "can_manage": can_manage,
            "pub": publication_for(advisory, preview=True) if advisory else None,
            "embargo_lifted": embargo_has_lifted(case),
            "public_at": getattr(case.embargo_or_none, "public_at", None),
            "can_approve": can_manage and state == AdvisoryState.IN_REVIEW and not is_own,
            "needs_second": can_manage and state == AdvisoryState.IN_REVIEW and is_own,
            "revisions": list(advisory.revisions.all()) if advisory else [],
        }
    )
    return out
