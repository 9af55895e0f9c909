"""Django admin for staff. Policies are data and are edited here; everything else
is read-mostly (state changes go through ``disclosure.services``, which writes the
timeline)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from disclosure.models import (
    Advisory,
    AdvisoryChange,
    CalendarToken,
    DeploymentReport,
    Embargo,
    EmbargoClock,
    EmbargoPolicy,
    EmbargoProposal,
    OsvIdentifier,
    PreNotification,
    ProjectRelease,
    PublicationOverride,
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
        "agreement",
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
    list_display = ["case", "target_at", "proposed_target_at", "fixed_at", "released_at"]
    search_fields = ["case__reference"]


@admin.register(ProjectRelease)
class ProjectReleaseAdmin(ReadOnlyAdmin):
    # The fixed versions are the affected packages' (cases admin, vulnerabilities).
    list_display = ["plan", "project", "status", "released_at"]
    list_filter = ["status"]


@admin.register(PreNotification)
class PreNotificationAdmin(ReadOnlyAdmin):
    list_display = ["plan", "organisation", "notify_at", "sent_at", "acknowledged_at"]


@admin.register(DeploymentReport)
class DeploymentReportAdmin(ReadOnlyAdmin):
    list_display = ["case", "organisation", "status", "reported_at", "deployed_at"]
    list_filter = ["status"]


@admin.register(PublicationOverride)
class PublicationOverrideAdmin(ReadOnlyAdmin):
    """Release gate overrides (disclosure/README.md "Release gate"): read-only, decided
    and revoked through the case page or the API so the timeline tells."""

    list_display = ["case", "decided_by", "decided_at", "revoked_at"]
    list_filter = ["revoked_at"]


@admin.register(CalendarToken)
class CalendarTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "revoked_at"]
    exclude = ["token_hash"]


# ADVISORY ADMIN: the advisory engineer registers Advisory models below.


@admin.register(Advisory)
class AdvisoryAdmin(ReadOnlyAdmin):
    list_display = ["identifier", "case", "state", "revision", "published_at", "withdrawn_at"]
    list_filter = ["state"]
    search_fields = ["identifier"]


@admin.register(AdvisoryChange)
class AdvisoryChangeAdmin(ReadOnlyAdmin):
    """Revisions and withdrawals of published advisories and their review."""

    list_display = ["advisory", "kind", "state", "requested_by", "reviewer", "requested_at"]
    list_filter = ["kind", "state"]


@admin.register(OsvIdentifier)
class OsvIdentifierAdmin(ReadOnlyAdmin):
    list_display = ["osv_id", "advisory", "vulnerability_id", "assigned_at"]
    search_fields = ["osv_id"]
