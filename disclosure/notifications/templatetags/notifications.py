from django import template

from cases.models import Case
from cases.types import AnyUser, User
from disclosure.notifications.models import CaseMute

register = template.Library()


@register.simple_tag
def case_muted(user: AnyUser, case: Case) -> bool:
    """For the mute button on the case page (which has already checked access)."""
    if not isinstance(user, User):  # not signed in
        return False
    return CaseMute.objects.filter(user=user, case=case).exists()
