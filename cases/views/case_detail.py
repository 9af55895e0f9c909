"""The case page and what participants do on it: comment, upload, download, acknowledge."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases import access, audit, services
from cases.access import CaseAccess, get_case_for
from cases.forms import AttachmentForm, CommentForm, DuplicateCaseForm, TransitionForm
from cases.models import TRANSITION_LABELS, Case, CaseState, TransitionError
from cases.page_cache import CasePageCache
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors, private_file_response, safe_next

# States from which services.mark_case_duplicate merges a case into another.
MERGEABLE_STATES = frozenset({CaseState.NEW, CaseState.ACCEPTED, CaseState.IN_PROGRESS})


# The case page shows the latest discussion and history; the rest is one click away
# (``?all=comments``, ``?all=timeline``). A case with thousands of comments (a
# 200-vendor case) then renders in constant time; the queries were constant already.
RECENT_ITEMS = 50


def _latest(queryset: Any, show_all: bool) -> tuple[list[Any], bool]:
    """(items in chronological order, whether older ones were left out)."""
    if show_all:
        return list(queryset), False
    newest_first = list(queryset.reverse()[: RECENT_ITEMS + 1])
    return newest_first[:RECENT_ITEMS][::-1], len(newest_first) > RECENT_ITEMS


def detail_context(
    request: AuthenticatedHttpRequest,
    case: Case,
    case_access: CaseAccess,
    *,
    comment_form: CommentForm | None = None,
    attachment_form: AttachmentForm | None = None,
    duplicate_form: DuplicateCaseForm | None = None,
) -> dict[str, Any]:
    """Everything the case page shows, in a constant number of queries."""
    user = request.user
    participants = list(case_access.participants())
    # The acknowledge button: the rows ``services.acknowledge`` would acknowledge.
    awaiting_ack = [
        p
        for p in participants
        if p.acknowledged_at is None and access.can_acknowledge_participation(case_access, p)
    ]
    context: dict[str, Any] = {
        "case": case,
        "access": case_access,
        "embargo": case.embargo_or_none,
        "participants": participants,
        "awaiting_ack": awaiting_ack,
        # Field-level visibility (credits, copied wording, reporters) is the access
        # module's: the API serializers ask the same methods.
        "vulnerabilities": case_access.vulnerabilities(),
        "access_placeholders": {
            "case": access.CASE_TITLE_UNDER_REVIEW,
            "vulnerability": access.VULNERABILITY_TITLE_UNDER_REVIEW,
        },
        "projects": case.projects.all(),
        "reports": case_access.reports().select_related("reporter"),
        "attachments": case_access.attachments().select_related("uploaded_by"),
        "can_comment": case_access.can("comment_case"),
        "can_upload": case_access.can("upload_case"),
        "can_edit_vulns": case_access.can("edit_vulnerability"),
        "can_manage": case_access.can("manage_case"),
    }
    show_all = request.GET.get("all", "")
    context["comments"], context["older_comments"] = _latest(
        case_access.comments().select_related("author", "organisation"), show_all == "comments"
    )
    context["timeline"], context["older_timeline"] = _latest(
        case_access.timeline().select_related("actor"), show_all == "timeline"
    )
    if context["can_comment"]:
        context["comment_form"] = comment_form or CommentForm(case_access=case_access)
    if context["can_upload"]:
        context["attachment_form"] = attachment_form or AttachmentForm()
    if context["can_manage"]:
        context["transitions"] = [
            (name, TRANSITION_LABELS[name]) for name in case.allowed_transitions()
        ]
        context["transition_form"] = TransitionForm()
        if case.state in MERGEABLE_STATES:
            context["duplicate_form"] = duplicate_form or DuplicateCaseForm(user=user, case=case)
    context.update(_access_log_context(case_access))
    return context


def _access_log_context(case_access: CaseAccess) -> dict[str, Any]:
    """The access record panel: rendered on every view (each view writes it)."""
    if not case_access.can("view_access_log"):
        return {}
    return {
        "access_panel": case_access.access_panel(),
        "access_records": case_access.access_records()[:100],
    }


# The cached parts of the case page (``{% case_fragment %}`` in case_detail.html).
FRAGMENTS = ("header", "body")


@login_required
@require_GET
def case_detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference)
    services.record_view(case, request.user, "detail")
    page_cache = CasePageCache(request, case, case_access)
    if page_cache.fetch(FRAGMENTS):
        # Every cached part is there and current: only what is rendered on each view.
        context = {"case": case, "access": case_access, **_access_log_context(case_access)}
    else:
        context = detail_context(request, case, case_access)
    context["page_cache"] = page_cache
    return render(request, "cases/case_detail.html", context)


@login_required
@require_POST
def comment_post(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference, "comment_case")
    form = CommentForm(request.POST, case_access=case_access)
    if form.is_valid():
        try:
            services.post_comment(
                case,
                request.user,
                form.cleaned_data["body"],
                visibility=form.cleaned_data["visibility"],
                organisation=form.cleaned_data.get("organisation"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your comment was posted.")
            return redirect(f"{case.get_absolute_url()}#comments")
    context = detail_context(request, case, case_access, comment_form=form)
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_POST
def attachment_upload(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference, "upload_case")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.store_attachment(
                form.cleaned_data["file"], uploaded_by=request.user, case=case
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{attachment.original_name} was uploaded.")
            return redirect(f"{case.get_absolute_url()}#attachments")
    context = detail_context(request, case, case_access, attachment_form=form)
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_GET
def attachment_download(request: AuthenticatedHttpRequest, reference: str, pk: int) -> FileResponse:
    case, case_access = get_case_for(request.user, reference)
    attachment = get_object_or_404(case_access.attachments(), pk=pk)
    services.record_view(case, request.user, f"attachment:{attachment.pk}")
    audit.record("attachment.downloaded", request=request, obj=attachment, case=case.reference)
    return private_file_response(attachment)


@login_required
@require_POST
def acknowledge(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, _ = get_case_for(request.user, reference)
    try:
        services.acknowledge(case, request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You acknowledged {case.reference}.")
    return redirect(safe_next(request, case.get_absolute_url()))
