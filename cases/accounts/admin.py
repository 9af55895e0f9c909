"""The User admin with a "Reset second factor" action (a lost phone, a suspected
compromise): staff reset through ``mfa.reset_second_factor``, which deletes the
user's OTP devices and ends all their sessions and API tokens."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from cases import audit
from cases.accounts.mfa import reset_second_factor

User = get_user_model()


# "change": staff who may only view users must not be able to sign them out.
@admin.action(
    description="Reset second factor (and end all sessions and API tokens)",
    permissions=["change"],
)
def reset_second_factor_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    users = list(queryset)
    for user in users:
        reset_second_factor(user, actor=request.user, request=request)
        # The reset writes auth.2fa.reset and auth.sessions.ended; this row says it was
        # a staff member's decision in the admin, not the user's own reset.
        audit.record("admin.user.2fa_reset", actor=request.user, request=request, obj=user)
    modeladmin.message_user(
        request,
        f"Second factor reset for {len(users)} user(s); their sessions and API tokens ended.",
        messages.SUCCESS,
    )


class PortalUserAdmin(UserAdmin):
    actions = [*UserAdmin.actions, reset_second_factor_action]


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
