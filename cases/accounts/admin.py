"""The User admin with a "Reset second factor" action (a lost phone, a suspected
compromise): staff reset through ``mfa.reset_second_factor``, which deletes the
user's OTP devices and ends all their sessions and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from cases import audit
from cases.accounts.mfa import reset_second_factor
from cases.types import User


# "change": staff who may only view users must not be able to sign them out.
@admin.action(
    description="Reset second factor (and end all sessions and API tokens)",
    permissions=["change"],
)
def reset_second_factor_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    staff = request.user
    assert staff.is_authenticated  # the admin site lets only signed-in staff in
    users = list(queryset)
    for user in users:
        reset_second_factor(user, actor=staff, request=request)
        # The reset writes auth.2fa.reset and auth.sessions.ended; this row says it was
        # a staff member's decision in the admin, not the user's own reset.
        audit.record("admin.user.2fa_reset", actor=staff, request=request, obj=user)
    modeladmin.message_user(
        request,
        f"Second factor reset for {len(users)} user(s); their sessions and API tokens ended.",
        messages.SUCCESS,
    )


class PortalUserAdmin(UserAdmin):
    # UserAdmin declares no actions of its own (delete_selected comes from the site).
    actions = [reset_second_factor_action]

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        # An organisation's group only holds its grants; its members are Membership
        # rows (Organisations > Members), so it is not offered here.
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(organisation__isnull=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
