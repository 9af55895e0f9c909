from typing import Any

from django import template

from disclosure.notifications.models import CaseMute

register = template.Library()


@register.simple_tag
def case_muted(user: Any, case: Any) -> bool:
    """For the mute button on the case page (which has already checked access)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return CaseMute.objects.filter(user=user, case=case).exists()
