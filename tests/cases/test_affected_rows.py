"""Affected packages as structured rows (purl, vers range, fixed versions): one set of
rules (``services.clean_affected``) for the web form and the API, and nothing
ambiguous is stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services
from cases.models import Case, TimelineEntry, Vulnerability
from tests.api.conftest import token_client
from tests.cases.test_views_edit import GOOD_VULN, affected_rows

# The line the old textarea stored as a range that makes 1.5.0 affected.
AMBIGUOUS_LINE = "pkg:pypi/libexample|vers:pypi/>=1.2|<1.5.0|1.5.0"


def errors_of(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as err:
        services.clean_affected(rows)
    return err.value.message_dict


def row(purl: str, vers: str = "", fixed: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"purl": purl, "vers": vers, "fixed_versions": list(fixed)}


@pytest.mark.parametrize(
    "bad,field",
    [
        (row(AMBIGUOUS_LINE), "purl"),
        (row("pkg:pypi/libexample", "vers:pypi/>=1.2|<1.5.0|1.5.0"), "vers"),
        (
            row("pkg:pypi/libexample", "vers:pypi/>=1.2|<1.5.0", ("1.5.0", "1.4.9")),
            "fixed_versions",
        ),
        (row("pkg:pypi/libexample", "vers:pypi/*", ("1.5.0",)), "fixed_versions"),
        (row("pkg:npm/fastparse", "vers:pypi/<2.3.1"), "vers"),
        (row("pkg:pypi/libexample", "vers:pypi/>=1.0|>=2.0"), "vers"),
        (row("pkg:pypi/libexample", "<1.5.0"), "vers"),
        (row("pkg:pypi/libexample", "vers:pypi/<1.5.0", ("not-a-version",)), "fixed_versions"),
        (row("pkg:pypi/libexample", "", ("1.5.0",)), "fixed_versions"),
        (row("pkg:pypi/libexample@1.2.0", "vers:pypi/<1.5.0"), "purl"),
        (row(""), "purl"),
    ],
)
def test_an_ambiguous_row_is_an_error_on_its_row_and_field(bad: dict, field: str) -> None:
    errors = errors_of([row("pkg:pypi/ok", "vers:pypi/<2", ("2",)), bad])
    assert list(errors) == [f"affected[1].{field}"]


def test_the_same_package_twice_is_an_error_on_the_second_row() -> None:
    errors = errors_of(
        [row("pkg:pypi/libexample", "vers:pypi/<1.4.2"), row("pkg:pypi/libexample", "")]
    )
    assert "already in row 1" in errors["affected[1].purl"][0]


def test_good_rows_are_normalised_per_ecosystem() -> None:
    cleaned = services.clean_affected(
        [
            row("pkg:golang/github.com/example/lib", "vers:golang/>=v1.0.0|<v1.2.3", ("v1.2.3",)),
            row("pkg:maven/org.example/lib", "vers:maven/<2.0.1", ("2.0.1", "2.0.1")),
            row("pkg:deb/debian/libexample", "vers:deb/<1.4.2-1", ("1.4.2-1",)),
        ]
    )
    assert cleaned[0]["purl"] == "pkg:golang/github.com/example/lib"
    assert cleaned[0]["fixed_versions"] == ["v1.2.3"]
    assert cleaned[1]["fixed_versions"] == ["2.0.1"]  # listed once
    assert cleaned[2]["vers"] == "vers:deb/<1.4.2-1"


# --------------------------------------------------------------------------- web form


def add_url(case: Case) -> str:
    return reverse("cases:vulnerability_add", args=[case.reference])


@pytest.mark.django_db
def test_the_ambiguous_textarea_line_is_a_field_error_in_the_form(
    client_for: Any, maintainer: Any, case: Case
) -> None:
    before = (Vulnerability.objects.count(), TimelineEntry.objects.count())
    response = client_for(maintainer).post(
        add_url(case), {**GOOD_VULN, **affected_rows((AMBIGUOUS_LINE, "", "1.5.0"))}
    )

    assert response.status_code == 400
    purl_errors = response.context["rows"].forms[0].errors["purl"]
    assert "put the range and the fixed versions in their own fields" in purl_errors[0]
    assert (Vulnerability.objects.count(), TimelineEntry.objects.count()) == before


@pytest.mark.django_db
def test_a_fixed_version_inside_the_range_is_refused_in_the_form(
    client_for: Any, maintainer: Any, case: Case
) -> None:
    response = client_for(maintainer).post(
        add_url(case),
        {**GOOD_VULN, **affected_rows(("pkg:pypi/libexample", "vers:pypi/>=1.2|<=1.5.0", "1.5.0"))},
    )

    assert response.status_code == 400
    errors = response.context["rows"].forms[0].errors["fixed"]
    assert "inside the affected range" in errors[0]
    assert b"inside the affected range" in response.content


@pytest.mark.django_db
def test_add_a_row_without_javascript_keeps_what_was_typed_and_saves_nothing(
    client_for: Any, maintainer: Any, case: Case
) -> None:
    before = Vulnerability.objects.count()
    data = {**GOOD_VULN, **affected_rows(("pkg:pypi/libexample", "vers:pypi/<1.4.2", "1.4.2"))}
    response = client_for(maintainer).post(add_url(case), {**data, "add_row": "1"})

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows.forms) == 2
    assert rows.forms[0]["purl"].value() == "pkg:pypi/libexample"
    assert response.context["form"]["title"].value() == GOOD_VULN["title"]
    assert Vulnerability.objects.count() == before


@pytest.mark.django_db
def test_a_row_marked_remove_is_deleted(client_for: Any, maintainer: Any, case: Case) -> None:
    vuln = case.vulnerabilities.get()
    data = {
        **GOOD_VULN,
        **affected_rows(
            ("pkg:pypi/libexample", "vers:pypi/<1.4.2", "1.4.2"),
            ("pkg:npm/libexample-js", "vers:npm/<3.0.0", ""),
        ),
        "affected-1-DELETE": "on",
        "version": vuln.version,
    }
    response = client_for(maintainer).post(
        reverse("cases:vulnerability_edit", args=[case.reference, vuln.pk]), data
    )

    assert response.status_code == 302
    assert list(vuln.affected.values_list("purl", "fixed_versions")) == [
        ("pkg:pypi/libexample", ["1.4.2"])
    ]


@pytest.mark.django_db
def test_the_edit_page_shows_one_row_per_package_and_empty_rows_to_add(
    client_for: Any, maintainer: Any, case: Case
) -> None:
    vuln = case.vulnerabilities.get()
    response = client_for(maintainer).get(
        reverse("cases:vulnerability_edit", args=[case.reference, vuln.pk])
    )

    rows = response.context["rows"]
    assert [f.initial.get("purl") for f in rows.forms] == ["pkg:pypi/libexample", None, None]
    assert b'name="add_row"' in response.content
    assert b"purl | vers" not in response.content


# --------------------------------------------------------------------------- API


def api_url(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/vulnerabilities/"


@pytest.mark.django_db
def test_the_api_names_the_row_and_field_of_each_error(maintainer: Any, case: Case) -> None:
    before = Vulnerability.objects.count()
    response = token_client(maintainer).post(
        api_url(case),
        {
            "title": "Overflow",
            "affected": [
                {"purl": "pkg:pypi/libexample", "vers": "vers:pypi/<1.4.2", "fixed": ["1.4.2"]},
                {"purl": "pkg:npm/fastparse", "vers": "vers:pypi/<2.3.1"},
                {"purl": "pkg:pypi/other", "vers": "vers:pypi/<=1.5.0", "fixed": ["1.5.0"]},
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"affected[1].vers", "affected[2].fixed"}
    assert "vers:npm/" in fields["affected[1].vers"][0]
    assert Vulnerability.objects.count() == before


@pytest.mark.django_db
def test_the_api_takes_and_returns_the_same_rows(maintainer: Any, case: Case) -> None:
    rows = [{"purl": "pkg:pypi/libexample", "vers": "vers:pypi/>=1.2|<1.4.2", "fixed": ["1.4.2"]}]
    created = token_client(maintainer).post(
        api_url(case), {"title": "Overflow", "affected": rows}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert created.json()["affected"] == rows
    read = token_client(maintainer).get(f"{api_url(case)}{created.json()['id']}/").json()
    assert read["affected"] == rows


@pytest.mark.django_db
def test_a_patch_without_rows_keeps_them(maintainer: Any, case: Case) -> None:
    vuln = case.vulnerabilities.get()
    response = token_client(maintainer).patch(
        f"{api_url(case)}{vuln.pk}/", {"title": "Renamed", "version": vuln.version}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert [a["purl"] for a in response.json()["affected"]] == ["pkg:pypi/libexample"]
