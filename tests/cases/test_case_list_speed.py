"""The case list's fast paths (issue 14) show exactly what the templates and Django's
widgets showed: the table's rows written in Python (``CaseRow.row_html``) and the
project choices read with one ordinary query."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseState, Severity
from tests.factories import make_case, make_project

# ``cases.views`` exports the view functions under the modules' names.
home = importlib.import_module("cases.views.home")

LIST = reverse("cases:case_list")

# The rows of ``cases/_case_table.html`` as its per-row template wrote them (before
# issue 14), kept here as the reference the Python rows must equal byte for byte.
FORMER_ROWS_TEMPLATE = """\
  {% for case in cases %}
    <tr>
      {% if selectable %}<td><input type="checkbox" name="cases" value="{{ case.reference }}" form="bulk-form" id="select-{{ case.reference }}" aria-label="Select {{ case.reference }}"{% if case.reference in selected %} checked{% endif %}></td>{% endif %}
      <td><a href="{{ case.get_absolute_url }}">{{ case.reference }}</a></td>
      <td>{{ case.shown_title }}{% if case.is_under_embargo %} <span class="badge embargo">Embargoed</span>{% endif %}</td>
      <td><span class="badge state-{{ case.state }}">{{ case.get_state_display }}</span></td>
      <td>{% if case.severity != "none" %}<span class="badge {{ case.severity }}">{{ case.get_severity_display }}</span>{% else %}<span class="muted">—</span>{% endif %}</td>
      <td>{% for name in case.project_names %}{{ name }}{% if not forloop.last %}, {% endif %}{% empty %}<span class="muted">—</span>{% endfor %}</td>
      <td><time datetime="{{ case.updated_at|date:'c' }}">{{ case.updated_at|timesince }} ago</time></td>
    </tr>
  {% endfor %}"""  # noqa: E501 - the template's own lines


def _row(reference: str, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "pk": 1,
        "reference": reference,
        "shown_title": "Heap overflow in the parser",
        "state": CaseState.IN_PROGRESS,
        "severity": Severity.HIGH,
        "updated_at": timezone.now() - dt.timedelta(days=3, hours=5),
        "project_names": ["libexample"],
        "is_under_embargo": False,
    }
    values.update(fields)
    return home.CaseRow(**values)


ROWS = [
    _row("AKR-2026-1"),
    _row(
        "AKR-2026-2",
        shown_title="<script>alert('x')</script> & \"quoted\"",
        severity=Severity.NONE,
        project_names=[],
        is_under_embargo=True,
        state=CaseState.NEW,
    ),
    _row(
        "AKR-2026-3",
        project_names=["a<b>", "z & co", "libexample"],
        severity=Severity.CRITICAL,
        updated_at=timezone.now() - dt.timedelta(minutes=7),
    ),
    # Not a reference the URL can take as it is: the row asks ``reverse`` (quoted URL).
    _row("AKR-2026-4é", updated_at=dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)),
]


def _former(rows: list[Any], *, selectable: bool, selected: set[str]) -> str:
    template = engines["django"].from_string(FORMER_ROWS_TEMPLATE)
    html = template.render({"cases": rows, "selectable": selectable, "selected": selected})
    # The template began with the two spaces before ``{% for %}``; the table keeps them.
    return html.removeprefix("  ")


@pytest.mark.parametrize("selectable", [False, True])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Athens", "America/Los_Angeles"])
def test_rows_in_python_are_the_former_templates_rows_byte_for_byte(
    selectable: bool, zone: str
) -> None:
    selected = {"AKR-2026-2", "AKR-2026-4É"}
    with timezone.override(zone):
        expected = _former(ROWS, selectable=selectable, selected=selected)
        table = home.CaseTable(ROWS, selectable=selectable, selected=selected)
        assert str(table.rows_html) == expected
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in expected
    assert "a&lt;b&gt;, z &amp; co, libexample" in expected
    assert ("checked" in expected) is selectable
    assert "/cases/AKR-2026-4%C3%A9/" in expected


def test_an_empty_table_has_no_rows() -> None:
    assert home.CaseTable([]).rows_html == ""


@pytest.mark.django_db
def test_the_list_ticks_the_selected_cases_for_a_coordinator(
    client_for: Any, coordinator: Any, case: Case, project: Any
) -> None:
    other = make_case(coordinator, project=project, title="Second flaw")

    body = client_for(coordinator).get(LIST, {"selected": case.reference.lower()})

    html = body.content.decode()
    assert f'id="select-{case.reference}" aria-label="Select {case.reference}" checked>' in html
    assert f'id="select-{other.reference}" aria-label="Select {other.reference}">' in html
    assert html.count('form="bulk-form"') >= 2


@pytest.mark.django_db
def test_a_maintainer_has_no_checkboxes_and_sees_the_table_rows(
    client_for: Any, maintainer: Any, case: Case
) -> None:
    html = client_for(maintainer).get(LIST).content.decode()

    assert 'type="checkbox" name="cases"' not in html
    assert f'<td><a href="/cases/{case.reference}/">{case.reference}</a></td>' in html
    assert '<span class="badge state-new">' in html or case.state != CaseState.NEW


@pytest.mark.django_db
def test_the_inbox_shows_open_cases_with_the_same_rows(
    client_for: Any, maintainer: Any, case: Case
) -> None:
    html = client_for(maintainer).get(reverse("cases:home")).content.decode()

    assert f'<td><a href="/cases/{case.reference}/">{case.reference}</a></td>' in html
    assert 'type="checkbox" name="cases"' not in html


@pytest.mark.django_db
def test_project_choices_are_one_plain_query_with_the_same_options(
    client_for: Any, maintainer: Any, maintainer_org: Any, coordinator: Any, case: Case
) -> None:
    second = make_project(maintainer_org, name="aardvark-lib")
    case.projects.add(second)
    hidden = make_project(maintainer_org, name="zz-unseen")  # on no case the user sees
    client = client_for(maintainer)
    client.get(LIST)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"project": second.pk})

    assert not [q for q in queries if "DECLARE" in q["sql"] or "FETCH" in q["sql"]]
    html = response.content.decode()
    options = html[html.index('<select name="project"') :]
    options = options[: options.index("</select>")]
    first = case.projects.exclude(pk=second.pk).get()
    assert options == (
        '<select name="project" id="id_project">'
        '<option value="">Any project</option>'
        f'<option value="{second.pk}" selected>aardvark-lib</option>'
        f'<option value="{first.pk}">{first.name}</option>'
    )
    assert hidden.name not in html
    assert [r.reference for r in response.context["page"].object_list] == [case.reference]


def _count_queries(queries: CaptureQueriesContext) -> list[str]:
    """The list's own ``COUNT`` (the navigation's unread count is another table's)."""
    return [q["sql"] for q in queries if q["sql"].startswith(_CASE_COUNT)]


_CASE_COUNT = 'SELECT COUNT(*) AS "__count" FROM "cases_case"'


@pytest.mark.django_db
def test_a_granted_list_counts_with_its_page_and_pages_as_before(
    client_for: Any, maintainer: Any, coordinator: Any, project: Any, maintainer_org: Any
) -> None:
    """Page, count, page past the end, page 0, no number: as the ``COUNT`` query gave them."""
    made = [make_case(coordinator, project=project, maintainers=maintainer_org) for _ in range(27)]
    client = client_for(maintainer)
    client.get(LIST)

    with CaptureQueriesContext(connection) as queries:
        first = client.get(LIST)
    assert _count_queries(queries) == []
    assert first.context["page"].paginator.count == 27
    assert "27 cases" in first.content.decode()
    assert len(first.context["page"].object_list) == 25

    second = client.get(LIST, {"page": 2})
    assert second.context["page"].number == 2
    assert second.context["page"].paginator.count == 27
    shown = [r.reference for r in first.context["page"].object_list]
    shown += [r.reference for r in second.context["page"].object_list]
    assert sorted(shown) == sorted(c.reference for c in made)

    for number, expected in (("9", 2), ("0", 2), ("abc", 1), ("1.5", 1), ("", 1)):
        page = client.get(LIST, {"page": number}).context["page"]
        assert (page.number, page.paginator.count) == (expected, 27), number

    filtered = client.get(LIST, {"state": "closed"})
    assert filtered.context["page"].paginator.count == 0
    assert "No case matches these filters." in filtered.content.decode()


@pytest.mark.django_db
def test_the_sirts_list_still_counts_apart(client_for: Any, coordinator: Any, case: Case) -> None:
    """The SIRT's list reads a page along an index: a count in its rows would read all."""
    client = client_for(coordinator)
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert len(_count_queries(queries)) == 1
    assert response.context["page"].paginator.count == Case.objects.count()


@pytest.mark.django_db
def test_an_outsider_has_an_empty_first_page(client_for: Any, outsider: Any, case: Case) -> None:
    response = client_for(outsider).get(LIST)
    assert response.context["page"].paginator.count == 0
    assert list(response.context["page"].object_list) == []
    assert "There are no cases you can see yet." in response.content.decode()


@pytest.mark.django_db
def test_a_granted_lists_count_follows_search_and_project_filters(
    client_for: Any, maintainer: Any, coordinator: Any, project: Any, maintainer_org: Any
) -> None:
    second = make_project(maintainer_org, name="aardvark-lib")
    for i in range(3):
        make_case(coordinator, project=project, maintainers=maintainer_org, title=f"Parser {i}")
    both = make_case(coordinator, project=project, maintainers=maintainer_org, title="Parser 9")
    both.projects.add(second)
    make_case(coordinator, project=project, maintainers=maintainer_org, title="Lexer flaw")
    client = client_for(maintainer)

    searched = client.get(LIST, {"q": "parser"}).context["page"]
    in_project = client.get(LIST, {"q": "parser", "project": second.pk}).context["page"]

    assert searched.paginator.count == 4 == len(searched.object_list)
    assert in_project.paginator.count == 1
    assert [r.reference for r in in_project.object_list] == [both.reference]
    assert [r.project_names for r in in_project.object_list] == [["aardvark-lib", "libexample"]]
