"""The audit trail for coordinators: filter it, export it as CSV (the export is audited)."""

from __future__ import annotations

import csv
import json
from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cases import audit
from cases.access import sirt_required
from cases.audit import AuditEvent
from cases.types import AuthenticatedHttpRequest

CSV_COLUMNS = [
    "id",
    "created_at",
    "actor",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "data",
    "prev_hash",
    "hash",
]


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        required=False, help_text="An action code or its start, e.g. auth. or auth.login"
    )
    actor = forms.CharField(required=False, label="Actor (username)")
    object = forms.CharField(required=False, label="Object", help_text="Case reference, username…")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _filtered(data: dict) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    form = AuditFilterForm(data)
    events = AuditEvent.objects.select_related("actor").order_by("-id")
    if form.is_valid():
        f = form.cleaned_data
        if f["action"]:
            events = events.filter(action__startswith=f["action"].strip())
        if f["actor"]:
            events = events.filter(actor_label__iexact=f["actor"].strip())
        if f["object"]:
            events = events.filter(object_label__iexact=f["object"].strip())
        if f["since"]:
            events = events.filter(
                created_at__gte=timezone.make_aware(datetime.combine(f["since"], time.min))
            )
        if f["until"]:
            events = events.filter(
                created_at__lte=timezone.make_aware(datetime.combine(f["until"], time.max))
            )
    return form, events


@login_required
@sirt_required
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, events = _filtered(request.GET)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filters": query},
    )


@require_POST
@login_required
@sirt_required
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """CSV of the filtered rows. POST: the export writes its own audit row."""
    form, events = _filtered(request.POST)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    audit.record("audit.exported", request=request, filters=filters, rows=events.count())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="akrites-audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for e in events.iterator(chunk_size=2000):
        row = [
            e.pk,
            e.created_at.isoformat(),
            e.actor_label,
            e.ip or "",
            e.action,
            e.object_type,
            e.object_id,
            e.object_label,
            json.dumps(e.data, sort_keys=True),
            e.prev_hash,
            e.hash,
        ]
        writer.writerow([_cell(str(value)) for value in row])
    return response


def _cell(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
