"""Home (coordinator dashboard or maintainer/partner inbox), case list, profile."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Case as CaseWhen
from django.db.models import Count, IntegerField, Value, When, Window
from django.forms.models import ModelChoiceField, ModelChoiceIterator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # in Django, not in its stubs
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
    open_cases = Case.objects.visible_to(user).open().order_by("-updated_at", "-id")
    context.update(
        awaiting=list(awaiting.values()),
        activity=dashboard.recent_activity(user),
        open_cases=CaseTable(case_rows(user, row_query(user, open_cases)[:25])),
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

    def row_html(self, *, selectable: bool, checked: bool, labels: _Labels) -> str:
        """The row's ``<tr>``, byte for byte what the table's former per-row template
        wrote (the whitespace included): a 20-row page spent a quarter of its time
        resolving the variables, filters and ``{% for %}`` of that template. Every value
        is escaped as the template's autoescaping did."""
        reference = escape(self.reference)
        select = ""
        if selectable:
            select = (
                f'<td><input type="checkbox" name="cases" value="{reference}" form="bulk-form"'
                f' id="select-{reference}" aria-label="Select {reference}"'
                f"{' checked' if checked else ''}></td>"
            )
        embargo = ' <span class="badge embargo">Embargoed</span>' if self.is_under_embargo else ""
        if self.severity != Severity.NONE:
            severity = (
                f'<span class="badge {escape(self.severity)}">'
                f"{labels.severity(self.severity)}</span>"
            )
        else:
            severity = _NO_VALUE
        projects = ", ".join(escape(name) for name in self.project_names) or _NO_VALUE
        # ``|date:'c'`` (``DateFormat.c``: ISO 8601) on the viewer's local time, as the
        # filter gets it; ``|timesince`` on the value as stored, "" on a bad value.
        updated = template_localtime(self.updated_at).isoformat()
        try:
            since = timesince(self.updated_at)
        except (TypeError, ValueError):
            since = ""
        return (
            f"\n    <tr>\n      {select}"
            f'\n      <td><a href="{labels.case_url(self)}">{reference}</a></td>'
            f"\n      <td>{escape(self.shown_title)}{embargo}</td>"
            f'\n      <td><span class="badge state-{escape(self.state)}">'
            f"{labels.state(self.state)}</span></td>"
            f"\n      <td>{severity}</td>"
            f"\n      <td>{projects}</td>"
            f'\n      <td><time datetime="{escape(updated)}">{escape(since)} ago</time></td>'
            "\n    </tr>\n  "
        )


# A reference as ``case_detail``'s URL takes it (``Case.reference``: letters, digits and
# dashes), which ``reverse`` writes unquoted: such a case's URL is the pattern's URL with
# its reference in place. Anything else goes through ``reverse`` itself.
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9-]+")
_URL_PLACEHOLDER = "REFERENCE-0000-0"


class _Labels:
    """What every row of one table looks up the same way: the escaped state and
    severity labels (translated once per table, not once per row) and the case URLs."""

    def __init__(self) -> None:
        self._states: dict[str, str] = {}
        self._severities: dict[str, str] = {}
        prefix, _, suffix = reverse("cases:case_detail", args=[_URL_PLACEHOLDER]).partition(
            _URL_PLACEHOLDER
        )
        self._url = (escape(prefix), escape(suffix))

    def state(self, value: str) -> str:
        if value not in self._states:
            self._states[value] = escape(str(CaseState(value).label))
        return self._states[value]

    def severity(self, value: str) -> str:
        if value not in self._severities:
            self._severities[value] = escape(str(Severity(value).label))
        return self._severities[value]

    def case_url(self, row: CaseRow) -> str:
        if _PLAIN_REFERENCE.fullmatch(row.reference):
            return f"{self._url[0]}{row.reference}{self._url[1]}"
        return escape(row.get_absolute_url())


_NO_VALUE = '<span class="muted">—</span>'


class CaseTable(list[CaseRow]):
    """The rows of ``cases/_case_table.html`` and their HTML (``rows_html``): written in
    Python per row, not by a template per row. ``selectable`` adds the bulk actions'
    checkbox (ticked for the references in ``selected``), as ``selectable=`` does in
    the template's ``{% include %}``: pass the same value to both."""

    def __init__(
        self,
        rows: list[CaseRow],
        *,
        selectable: bool = False,
        selected: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        super().__init__(rows)
        self.selectable = selectable
        self.selected = selected

    @cached_property
    def rows_html(self) -> SafeString:
        labels = _Labels()
        return mark_safe(  # noqa: S308 - every value is escaped in ``row_html``
            "".join(
                row.row_html(
                    selectable=self.selectable,
                    checked=row.reference in self.selected,
                    labels=labels,
                )
                for row in self
            )
        )


# The column of ``row_query(..., with_total=True)`` that holds the number of rows of the
# whole list (``COUNT(*) OVER ()``), the same on every row of a page.
LIST_TOTAL = "list_total"


def row_query(user: User, cases: Any, *, with_total: bool = False) -> Any:
    """``cases`` (visible to ``user``, ordered) as the rows of a list: slice it, then
    pass the page to ``case_rows``. ``with_total`` adds ``LIST_TOTAL``: only where the
    database sorts every row of the list anyway (a list of granted cases), never on the
    SIRT's whole-portal list, which an index reads a page at a time."""
    extra = [access.EMBARGO_STATE]
    if with_total:
        cases = cases.annotate(**{LIST_TOTAL: Window(Count("*"))})
        extra.append(LIST_TOTAL)
    return access.case_rows(user, cases, project_field="name", extra=extra)


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
    """Pages of rows; counts the filtered cases without the row columns (subqueries).

    With ``counted_rows`` (rows of ``row_query(..., with_total=True)``) the requested
    page is read first and the count comes with it (``LIST_TOTAL``): one query for the
    page and its count. The ``COUNT`` query remains for what the rows cannot tell: a
    page past the end (Django then shows the last page, as before)."""

    def __init__(self, rows: Any, per_page: int, *, cases: Any, counted_rows: bool = False) -> None:
        super().__init__(rows, per_page)
        self._cases = cases
        self._counted_rows = counted_rows
        self._read: tuple[int, list[Any]] | None = None

    @cached_property
    def count(self) -> int:
        return self._cases.order_by().count()

    def get_page(self, number: Any) -> Page:
        if self._counted_rows:
            self._read_with_count(_page_number(number))
        return super().get_page(number)

    def _read_with_count(self, number: int) -> None:
        if number < 1:
            return  # not a page: Django answers with the last one, which needs the count
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if rows:
            self.count = rows[0][LIST_TOTAL]  # the ``cached_property``'s value
        elif number == 1:
            self.count = 0
        else:
            return
        self._read = (number, rows)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if self._read is not None and self._read[0] == number:
            # ``Paginator.page`` slices ``[bottom:min(bottom + per_page, count)]``: these rows.
            return self._get_page(self._read[1], number, self)  # type: ignore[attr-defined]  # Django's own
        return super().page(number)


def _page_number(number: Any) -> int:
    """The page ``Paginator.get_page(number)`` shows when ``number`` is in range: page 1
    for anything but a whole number, as Django does."""
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(number)
        return int(number)
    except (TypeError, ValueError):
        return 1


class _ChoicesInOneQuery(ModelChoiceIterator):
    """A model select's choices from one ordinary query. Django's iterator reads them
    with ``QuerySet.iterator()``, on PostgreSQL a server-side cursor (``DECLARE ...
    WITH HOLD``, ``FETCH``, ``CLOSE``): three round trips and a materialised result,
    the list page's slowest query, for a few dozen projects. Same choices, same order."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


@login_required
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET, user=request.user)
    project_field = form.fields["project"]
    assert isinstance(project_field, ModelChoiceField)
    project_field.iterator = _ChoicesInOneQuery
    project_field.widget.choices = project_field.choices  # as setting the queryset does
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
    # Anyone but the SIRT sees the cases granted to them: the page query sorts them all,
    # so it counts them too (no ``COUNT`` query).
    granted_only = not access.is_sirt(request.user)
    rows = row_query(request.user, cases, with_total=granted_only)
    page = RowPaginator(rows, PAGE_SIZE, cases=cases, counted_rows=granted_only).get_page(
        request.GET.get("page")
    )
    tools = _tools_context(request, request.user)
    # ``selectable=can_bulk`` in the template's include of the table: the same here.
    page.object_list = CaseTable(
        case_rows(request.user, page.object_list),
        selectable=tools["can_bulk"],
        selected=tools.get("selected", frozenset()),
    )
    filtered = any(data.get(k) for k in ("q", "state", "severity", "project"))
    return render(
        request,
        "cases/case_list.html",
        {"form": form, "page": page, "sort": sort, "filtered": filtered, **tools},
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
