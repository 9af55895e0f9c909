"""The OpenAPI schema is valid, complete, and the app keeps to it for every persona.

schemathesis generates requests from the schema and sends them to the WSGI app (no
server, no network); for each persona no request may cause a server error and every
response must match its documented status code, content type and body schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from akrites.wsgi import application
from cases import services
from cases.api_common import IDEMPOTENCY_HEADER
from cases.models import Organisation
from cases.tokens import create_token
from tests.factories import make_case, make_organisation, make_project, make_user

pytestmark = pytest.mark.django_db(transaction=False)

PERSONAS = ["coordinator", "maintainer", "partner", "outsider", "reporter", "anonymous"]


def test_the_schema_validates_without_warnings(tmp_path: Any) -> None:
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )


def test_every_api_url_is_in_the_schema(client: Any) -> None:
    from django.urls import get_resolver

    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    documented = set(schema["paths"])
    api_patterns = {str(p.pattern) for p in get_resolver("akrites.api_urls").url_patterns}
    assert "/api/v1/cases/{case_reference}/comments/" in documented
    assert "/api/v1/reports/" in documented and "/api/v1/me/" in documented
    assert api_patterns  # the router is there
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = set(operation["responses"])
            assert {"401", "404", "429"} <= codes, (method, path)
            if method != "get":
                assert {"400", "403", "409", "413", "422"} <= codes, (method, path)


def test_the_docs_page_is_served_from_our_own_static_files(client: Any) -> None:
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "<script>" not in html  # the split view keeps JavaScript out of the page


# Fuzzing only, a few examples per operation and persona: the whole run stays under a
# minute. (The coverage phase would add dozens of boundary cases per operation.)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/?format=json",
    application,
    config=SchemathesisConfig.from_dict(
        {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
    ),
)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Personas, their tokens and a case, built once for the module inside a transaction
    rolled back at its end; each test runs in its own savepoint on top of it."""
    with django_db_blocker.unblock(), transaction.atomic():
        sirt = make_organisation(Organisation.Kind.SIRT, name="Schema SIRT")
        maintainers = make_organisation(Organisation.Kind.MAINTAINER, name="Schema maintainers")
        partners = make_organisation(Organisation.Kind.PARTNER, name="Schema partner")
        users = {
            "coordinator": make_user("s_coord", organisation=sirt),
            "maintainer": make_user("s_maint", organisation=maintainers),
            "partner": make_user("s_partner", organisation=partners),
            "outsider": make_user("s_outsider"),
            "reporter": make_user("s_reporter"),
        }
        case = make_case(
            users["coordinator"],
            project=make_project(maintainers, name="schemalib"),
            maintainers=maintainers,
            reporter=users["reporter"],
        )
        services.add_participant(
            case, users["coordinator"], organisation=partners, role="partner", notify=False
        )
        headers = {
            name: {"Authorization": f"Token {create_token(u, name='schemathesis', days=1)[1]}"}
            for name, u in users.items()
        }
        headers["anonymous"] = {}
        yield {"case": case, "vulnerability": case.vulnerabilities.first(), "headers": headers}
        transaction.set_rollback(True)


@pytest.fixture
def keep_test_connection() -> Any:
    """The WSGI handler closes database connections after each request; inside a test
    transaction it must not (Django's own test client disconnects the same receivers)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("persona", PERSONAS)
@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema_for_every_persona(
    case: Any, persona: str, world: dict[str, Any], db: Any, keep_test_connection: Any
) -> None:
    if "case_reference" in (case.path_parameters or {}):
        # Random references only ever meet a 404; use a real case so the body is checked.
        case.path_parameters["case_reference"] = world["case"].reference
    if case.path_parameters and "id" in case.path_parameters and "vulnerabilities" in case.path:
        case.path_parameters["id"] = world["vulnerability"].pk
    headers = dict(world["headers"][persona])
    if case.headers and IDEMPOTENCY_HEADER in case.headers:
        headers[IDEMPOTENCY_HEADER] = str(case.headers[IDEMPOTENCY_HEADER])[:200]
    case.call_and_validate(
        headers=headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
