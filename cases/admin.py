"""Django admin for staff: every cases model, searchable and filterable.

The admin is a staff tool for repairs, not the workflow: state changes, participants
and comments go through the portal (``cases.services``), which writes the timeline.
The timeline and the access records are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from cases import actions
from cases.models import (
    AffectedPackage,
    Attachment,
    AuditEvent,
    Case,
    CaseAccessRecord,
    CaseCounter,
    Comment,
    Credit,
    Invitation,
    Membership,
    Organisation,
    Participant,
    Profile,
    Project,
    Report,
    ReportBatch,
    ReportMerge,
    SavedFilter,
    TimelineEntry,
    VendorStatus,
    Vulnerability,
)
from cases.models.people import OnboardingInvitation
from cases.models.reports import HeldUpload, PendingReport


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only history: staff may read it, nobody edits or deletes it here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "security_contact", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    readonly_fields = ["group"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "timezone"]
    search_fields = ["user__username"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "repository_url"]
    list_filter = ["organisation"]
    search_fields = ["name", "slug", "repository_url"]
    # Django 6's default, chosen now: a repository typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fk_name = "case"
    fields = ("organisation", "user", "role", "invited_at", "acknowledged_at", "removed_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Adding a participant must write guardian grants: use the portal's form.
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "state", "severity", "created_at", "updated_at"]
    list_filter = ["state", "severity", "projects"]
    search_fields = ["reference", "title", "summary"]
    date_hierarchy = "created_at"
    readonly_fields = ["reference", "state", "severity", "version", "created_by", "duplicate_of"]
    filter_horizontal = ["projects"]
    inlines = [ParticipantInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["case", "organisation", "user", "role", "acknowledged_at", "removed_at"]
    list_filter = ["role", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["case__reference", "organisation__name", "user__username"]
    list_select_related = ["case", "organisation", "user"]
    readonly_fields = ["case", "organisation", "user", "role", "invited_by", "removed_at"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "reporter", "status", "package", "received_at"]
    list_filter = ["status", "received_at"]
    search_fields = ["title", "description", "package", "reporter__username"]
    list_select_related = ["reporter"]
    readonly_fields = ["fingerprint", "package", "case", "status"]


class AffectedPackageInline(admin.TabularInline):
    model = AffectedPackage
    extra = 0


class CreditInline(admin.TabularInline):
    model = Credit
    extra = 0


@admin.register(Vulnerability)
class VulnerabilityAdmin(admin.ModelAdmin):
    list_display = ["title", "case", "cve_id", "cwe", "cvss3_score", "cvss4_score"]
    list_filter = ["cwe"]
    search_fields = ["title", "cve_id", "cwe", "case__reference"]
    list_select_related = ["case"]
    readonly_fields = ["cvss3_score", "cvss4_score", "version"]
    inlines = [AffectedPackageInline, CreditInline]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "case", "author", "visibility", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["case__reference", "author__username", "body"]
    list_select_related = ["case", "author"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "case", "report", "content_type", "size", "uploaded_at"]
    list_filter = ["content_type"]
    search_fields = ["original_name", "sha256", "case__reference"]
    # The file field is left out: its URL would bypass the access-checked download view.
    fields = ("case", "report", "original_name", "content_type", "size", "sha256", "uploaded_by")
    readonly_fields = fields


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case", "action", "text", "actor"]
    list_filter = ["action"]
    search_fields = ["case__reference", "action"]
    list_select_related = ["case", "actor"]

    @admin.display(description="what happened")
    def text(self, entry: TimelineEntry) -> str:
        return actions.timeline.display(entry)


@admin.register(CaseAccessRecord)
class CaseAccessRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "user", "what"]
    search_fields = ["case__reference", "user__username"]
    list_select_related = ["case", "user"]


@admin.register(CaseCounter)
class CaseCounterAdmin(ReadOnlyAdmin):
    list_display = ["year", "last_number"]


@admin.register(ReportBatch)
class ReportBatchAdmin(ReadOnlyAdmin):
    """Read-only: batches change through ``cases.batches`` (their reports are editable)."""

    list_display = ["id", "submitted_by", "source", "status", "total", "processed", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["submitted_by__username"]
    list_select_related = ["submitted_by"]
    exclude = ["findings"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "action",
        "text",
        "actor_label",
        "ip",
        "object_type",
        "object_label",
    ]
    list_filter = ["action"]
    search_fields = ["action", "actor_label", "object_label"]

    @admin.display(description="what happened")
    def text(self, event: AuditEvent) -> str:
        return actions.audit.display(event)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations are sent and revoked at /invitations/ (the link is only in the email)."""

    list_display = ["email", "organisation", "invited_by", "created_at", "accepted_at"]
    search_fields = ["email", "organisation__name"]
    list_select_related = ["organisation", "invited_by"]


@admin.register(OnboardingInvitation)
class OnboardingInvitationAdmin(ReadOnlyAdmin):
    """Sent, listed and revoked at /organisations/invitations/ (cases/onboarding.py)."""

    list_display = ["email", "organisation_name", "invited_by", "created_at", "accepted_at"]
    search_fields = ["email", "organisation_name"]
    list_select_related = ["invited_by"]
    exclude = ["token_hash"]


@admin.register(PendingReport)
class PendingReportAdmin(ReadOnlyAdmin):
    """Reports sent without an account, held until confirmed (cases/public_intake.py);
    their content is the submitter's until they confirm it: not shown here."""

    list_display = ["id", "created_at", "expires_at", "confirmed_at", "report"]
    fields = ["created_at", "expires_at", "confirmed_at", "report"]


@admin.register(HeldUpload)
class HeldUploadAdmin(ReadOnlyAdmin):
    """Files kept for a form's retry or a held report (cases/upload_stash.py); purged
    when they expire."""

    list_display = ["original_name", "size", "content_type", "created_at", "expires_at"]
    fields = ["original_name", "size", "content_type", "created_at", "expires_at"]


# The User admin with the "Reset second factor" action lives with the accounts code.
from cases.accounts import admin as accounts_admin  # noqa: E402, F401


@admin.register(VendorStatus)
class VendorStatusAdmin(ReadOnlyAdmin):
    """Read-only: statuses are given on the case page or through the API
    (``services.set_vendor_status``), each change a timeline entry."""

    list_display = ["vulnerability", "organisation", "status", "justification", "public", "set_at"]
    list_filter = ["status", "public"]
    search_fields = ["organisation__name", "vulnerability__case__reference"]


@admin.register(ReportMerge)
class ReportMergeAdmin(ReadOnlyAdmin):
    """Read-only: merges and their undoing go through the triage page
    (``services.merge_report_into_case``, ``services.undo_report_merge``)."""

    list_display = ["report", "case", "merged_by", "merged_at", "undone_by", "undone_at"]
    search_fields = ["case__reference", "report__title"]
    list_select_related = ["report", "case", "merged_by", "undone_by"]


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "query", "updated_at"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
