"""Django admin for staff. Policies are data and are edited here; everything else
is read-mostly (state changes go through ``disclosure.services``, which writes the
timeline)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from disclosure.models import (
    CalendarToken,
    DeploymentReport,
    Embargo,
    EmbargoClock,
    EmbargoPolicy,
    EmbargoProposal,
    PreNotification,
    ProjectRelease,
    ReleasePlan,
)


@admin.register(EmbargoPolicy)
class EmbargoPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "clock_start",
        "default_days",
        "max_days",
        "time_of_day",
        "skip_weekends",
        "is_active",
    ]
    list_editable = ["is_active"]
    ordering = ["position", "name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only: staff may look, not change."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Embargo)
class EmbargoAdmin(ReadOnlyAdmin):
    list_display = ["case", "state", "public_at", "agreed_at", "lifted_at", "broken_at"]
    list_filter = ["state"]
    search_fields = ["case__reference"]


@admin.register(EmbargoClock)
class EmbargoClockAdmin(ReadOnlyAdmin):
    list_display = ["embargo", "policy", "started_at", "deadline", "latest", "stopped_at"]
    list_filter = ["policy"]


@admin.register(EmbargoProposal)
class EmbargoProposalAdmin(ReadOnlyAdmin):
    list_display = ["embargo", "public_at", "state", "proposer", "override"]
    list_filter = ["state"]


@admin.register(ReleasePlan)
class ReleasePlanAdmin(ReadOnlyAdmin):
    list_display = ["case", "target_at", "fixed_at", "released_at"]
    search_fields = ["case__reference"]


@admin.register(ProjectRelease)
class ProjectReleaseAdmin(ReadOnlyAdmin):
    list_display = ["plan", "project", "fixed_version", "status", "released_at"]
    list_filter = ["status"]


@admin.register(PreNotification)
class PreNotificationAdmin(ReadOnlyAdmin):
    list_display = ["plan", "organisation", "notify_at", "sent_at", "acknowledged_at"]


@admin.register(DeploymentReport)
class DeploymentReportAdmin(ReadOnlyAdmin):
    list_display = ["case", "organisation", "status", "reported_at", "deployed_at"]
    list_filter = ["status"]


@admin.register(CalendarToken)
class CalendarTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "revoked_at"]
    exclude = ["token_hash"]


# ADVISORY ADMIN: the advisory engineer registers Advisory models below.
