"""The "Vendor status" panel of the case page: ``{% vendor_status_panel %}``.

What the panel holds for this viewer is ``cases.services.vendor_panel``, which asks
``cases.access.vendors``; the template only shows it.
"""

from __future__ import annotations

from typing import Any

from django import template

from cases import services
from cases.access import CaseAccess

register = template.Library()


@register.inclusion_tag("cases/_vendor_status.html", takes_context=True)
def vendor_status_panel(context: Any) -> dict[str, Any]:
    case_access: CaseAccess = context["access"]
    return {
        "case": case_access.case,
        "panel": services.vendor_panel(case_access),
        "csrf_token": context.get("csrf_token"),
        "user": context.get("user"),
    }
