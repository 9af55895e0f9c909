"""The case list's tools: saved filters (anyone, each their own) and bulk actions
(coordinators). The list itself is ``home.case_list``; it adds ``tools_context``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cases import access, saved_filters
from cases.case_list_forms import BulkActionForm, SaveFilterForm
from cases.services import bulk
from cases.types import AuthenticatedHttpRequest, User


def tools_context(request: HttpRequest, user: User) -> dict[str, Any]:
    """What ``cases/case_list.html`` shows besides the list: the user's saved filters,
    the form that saves the current ones, and for coordinators the bulk actions."""
    query = saved_filters.query_of(request.GET)
    context: dict[str, Any] = {
        "saved_filters": [
            (f, saved_filters.list_url(f), f.query == query) for f in saved_filters.filters_of(user)
        ],
        "save_filter_form": SaveFilterForm(),
        "filter_query": query,
        "filter_params": parse_qsl(query),
        "can_bulk": access.can_bulk_manage(user),
    }
    if context["can_bulk"]:
        context["bulk_form"] = BulkActionForm(user=user)
        context["selected"] = {r.upper() for r in request.GET.getlist("selected")}
    return context


def _back_to_list(query: str, selected: Sequence[str] = ()) -> HttpResponse:
    params = query
    if selected:
        params = "&".join(p for p in (query, urlencode([("selected", r) for r in selected])) if p)
    url = reverse("cases:case_list")
    return redirect(f"{url}?{params}" if params else url)


# --------------------------------------------------------------------------- saved filters


@login_required
@require_POST
def saved_filter_save(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = saved_filters.query_of(request.POST)
    form = SaveFilterForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "The filters were not saved: give them a name (80 characters at most)."
        )
        return _back_to_list(query)
    try:
        saved, created = saved_filters.save_filter(
            request.user, form.cleaned_data["name"], request.POST
        )
    except ValidationError as exc:
        messages.error(request, f"The filters were not saved: {' '.join(exc.messages)}")
        return _back_to_list(query)
    verb = "saved" if created else "updated"
    messages.success(request, f"Filter “{saved.name}” {verb}.")
    return _back_to_list(saved.query)


@login_required
@require_GET
def saved_filter_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(saved_filters.filters_of(request.user), pk=pk)
    return redirect(saved_filters.list_url(saved))


@login_required
@require_POST
def saved_filter_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(saved_filters.filters_of(request.user), pk=pk)
    saved_filters.delete_filter(request.user, saved)
    messages.success(request, f"Filter “{saved.name}” deleted.")
    return redirect("cases:case_list")


# --------------------------------------------------------------------------- bulk actions


@login_required
@require_POST
@access.sirt_required
def case_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One action on the ticked cases, all or nothing; back to the same filtered list
    with the result (on refusal, the same cases still ticked)."""
    query = saved_filters.query_of(request.POST)
    ticked = [r.strip().upper() for r in request.POST.getlist("cases") if r.strip()]
    form = BulkActionForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = [str(e) for e in form.non_field_errors()]
        errors += [
            f"{form.fields[name].label or name.capitalize()}: {' '.join(str(e) for e in errs)}"
            for name, errs in form.errors.items()
            if name != "__all__"
        ]
        messages.error(request, "Nothing changed: " + " ".join(errors))
        return _back_to_list(query, ticked)
    data = form.cleaned_data
    try:
        if data["action"] == "add_organisation":
            result = bulk.add_organisation(
                request.user, data["cases"], data["organisation"], data["role"]
            )
        elif data["action"] == "set_coordinator":
            result = bulk.set_coordinator(request.user, data["cases"], data["coordinator"])
        else:
            result = bulk.move_state(
                request.user, data["cases"], data["transition"], reason=data["reason"]
            )
    except bulk.BulkRefused as exc:
        messages.error(request, str(exc))
        return _back_to_list(query, ticked)
    messages.success(request, result.message)
    return _back_to_list(query)
