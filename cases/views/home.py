"""Home (coordinator dashboard or maintainer/partner inbox), case list, profile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case as CaseWhen
from django.db.models import IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cases import access, dashboard
from cases.forms import DEFAULT_SORT, SORTS, CaseFilterForm, ProfileForm
from cases.models import OPEN_STATES, SEVERITY_RANK, Case, CaseState, Profile, Severity
from cases.types import AuthenticatedHttpRequest, User
from cases.views._helpers import PAGE_SIZE
from cases.views.case_list_tools import tools_context as _tools_context

DEADLINE_DAYS = 14
# The soonest deadlines only: a SIRT sees every case (hundreds of dates in 14 days at
# 100,000 cases); the rest are on the case list and in the calendar feed.
DEADLINE_LIMIT = 25


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    deadlines = dashboard.upcoming_deadlines(user, DEADLINE_DAYS, limit=DEADLINE_LIMIT + 1)
    context = {
        "deadline_days": DEADLINE_DAYS,
        "more_deadlines": len(deadlines) > DEADLINE_LIMIT,
        "deadline_limit": DEADLINE_LIMIT,
        "overdue": [d for d in deadlines[:DEADLINE_LIMIT] if d.is_overdue],
        "upcoming": [d for d in deadlines[:DEADLINE_LIMIT] if not d.is_overdue],
    }
    if access.is_sirt(user):
        queue = dashboard.triage_queue(user)
        by_state = dashboard.cases_by_state(user)
        context.update(
            queue=queue[:10],
            queue_count=queue.count(),
            by_state=by_state,
            open_count=sum(n for state, _, n in by_state if state in OPEN_STATES),
            work_queue=dashboard.work_queue(user),
        )
        return render(request, "cases/home_sirt.html", context)
    awaiting: dict[int, Any] = {}
    for participant in dashboard.awaiting_acknowledgement(user):
        awaiting.setdefault(participant.case_id, participant)
    # Titles as the access module shows them to this user (``case.shown_title``).
    access.with_shown_titles(user, [p.case for p in awaiting.values()])
    context.update(
        awaiting=list(awaiting.values()),
        activity=dashboard.recent_activity(user),
        open_cases=case_rows(
            user,
            row_query(user, Case.objects.visible_to(user).open().order_by("-updated_at", "-id"))[
                :25
            ],
        ),
        my_reports=access.visible_reports(user).filter(reporter=user)[:5],
    )
    return render(request, "cases/home_inbox.html", context)


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One case of a list, as ``cases/_case_table.html`` shows it: the page's rows come
    from one query (``access.case_rows``), not from model instances."""

    pk: int
    reference: str
    shown_title: str  # as the access module decided it for this viewer
    state: str
    severity: str
    updated_at: dt.datetime
    project_names: list[str]
    is_under_embargo: bool

    def get_absolute_url(self) -> str:
        return reverse("cases:case_detail", args=[self.reference])

    def get_state_display(self) -> str:
        return str(CaseState(self.state).label)

    def get_severity_display(self) -> str:
        return str(Severity(self.severity).label)


def row_query(user: User, cases: Any) -> Any:
    """``cases`` (visible to ``user``, ordered) as the rows of a list: slice it, then
    pass the page to ``case_rows``."""
    return access.case_rows(user, cases, project_field="name", extra=[access.EMBARGO_STATE])


def case_rows(user: User, rows: Any) -> list[CaseRow]:
    """A page of ``row_query`` as ``CaseRow``s."""
    return [
        CaseRow(
            pk=row["pk"],
            reference=row["reference"],
            shown_title=row["shown_title"],
            state=row["state"],
            severity=row["severity"],
            updated_at=row["updated_at"],
            project_names=list(row["project_list"]),
            is_under_embargo=row[access.EMBARGO_STATE] == access.EMBARGO_ACTIVE,
        )
        for row in access.complete_rows(user, rows, project_field="name")
    ]


class RowPaginator(Paginator):
    """Pages of rows; counts the filtered cases without the row columns (subqueries)."""

    def __init__(self, rows: Any, per_page: int, *, cases: Any) -> None:
        super().__init__(rows, per_page)
        self._cases = cases

    @cached_property
    def count(self) -> int:
        return self._cases.order_by().count()


@login_required
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET, user=request.user)
    form.is_valid()  # invalid values are shown as errors and simply not applied
    data = form.cleaned_data
    cases = Case.objects.visible_to(request.user)
    if data.get("q"):
        cases = access.with_searchable_title(cases, request.user).search(
            data["q"], title_field="searchable_title"
        )
    state = data.get("state")
    if state == "open":
        cases = cases.open()
    elif state:
        cases = cases.filter(state=state)
    if data.get("severity"):
        cases = cases.filter(severity=data["severity"])
    if data.get("project"):
        cases = cases.filter(projects=data["project"])
    sort = data.get("sort") or DEFAULT_SORT
    if sort == "-severity":
        cases = cases.annotate(
            severity_rank=CaseWhen(
                *[When(severity=s, then=Value(rank)) for s, rank in SEVERITY_RANK.items()],
                output_field=IntegerField(),
            )
        )
    cases = cases.order_by(*SORTS[sort][1])
    rows = row_query(request.user, cases)
    page = RowPaginator(rows, PAGE_SIZE, cases=cases).get_page(request.GET.get("page"))
    page.object_list = case_rows(request.user, page.object_list)
    filtered = any(data.get(k) for k in ("q", "state", "severity", "project"))
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "filtered": filtered,
            **_tools_context(request, request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = Profile.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            Profile.objects.update_or_create(
                user=request.user, defaults={"timezone": form.cleaned_data["timezone"]}
            )
            messages.success(request, "Your time zone was saved.")
            return redirect("cases:profile")
    else:
        form = ProfileForm(initial={"timezone": current.timezone if current else "UTC"})
    memberships = request.user.memberships.select_related("organisation")
    return render(
        request,
        "cases/profile.html",
        {"form": form, "memberships": memberships, "is_sirt": access.is_sirt(request.user)},
    )
