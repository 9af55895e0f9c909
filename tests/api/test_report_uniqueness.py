"""One report per (reporter, fingerprint), held by the database (issue 14, "Same report
twice, stored three times"): concurrent identical POSTs store one row and all get it."""

from __future__ import annotations

import importlib
import threading
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from cases import services
from cases.models import Report
from tests.api.conftest import token_client
from tests.factories import make_report, make_user

REPORT = {
    "title": "Heap overflow in libexample header parser",
    "description": "parse_header() copies a long header name into a 256-byte buffer.",
    "purl": "pkg:pypi/libexample@1.3.0",
    "cwe": "CWE-787",
}
CLIENTS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_posts_store_one_report_and_answer_it_to_all() -> None:
    partner = make_user("racer")
    clients = [token_client(partner) for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def post(client: Any) -> None:
        try:
            start.wait(timeout=30)
            response = client.post("/api/v1/reports/", REPORT, format="json")
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert Report.objects.filter(reporter=partner).count() == 1
    assert len(answers) == CLIENTS
    assert sorted(code for code, _ in answers) == [200] * (CLIENTS - 1) + [201]
    assert {body["id"] for _, body in answers} == {Report.objects.get(reporter=partner).pk}


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_for_the_same_reporter_and_fingerprint() -> None:
    report = make_report(make_user())
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            title="copy",
            description="copy",
            reporter=report.reporter,
            fingerprint=report.fingerprint,
        )


@pytest.mark.django_db
def test_rows_added_without_a_fingerprint_are_not_held_to_it() -> None:
    reporter = make_user()
    for _ in range(2):
        Report.objects.create(title="By hand", description="x", reporter=reporter)
    assert Report.objects.filter(reporter=reporter, fingerprint="").count() == 2


@pytest.mark.django_db
def test_a_lost_race_answers_the_winning_report_inside_an_outer_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check found nothing, then the insert hit the constraint: the savepoint is
    rolled back and the stored report answered; the outer transaction goes on."""
    reporter = make_user()
    winner, _ = services.submit_report(reporter=reporter, **REPORT)
    real_filter = Report.objects.filter
    calls = {"n": 0}

    def first_check_misses(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        found = real_filter(*args, **kwargs)
        return found.none() if calls["n"] == 1 else found

    monkeypatch.setattr(Report.objects, "filter", first_check_misses)
    with transaction.atomic():
        report, created = services.submit_report(reporter=reporter, **REPORT)
        assert (report.pk, created) == (winner.pk, False)
        assert Report.objects.count() == 1  # the outer transaction is still usable


@pytest.mark.django_db
def test_the_migration_keeps_reports_stored_twice_and_separates_their_fingerprints() -> None:
    migration = importlib.import_module("cases.migrations.0008_intake_answer")
    reporter = make_user()
    first, _ = services.submit_report(reporter=reporter, **REPORT)
    (constraint,) = [
        c for c in Report._meta.constraints if c.name == "unique_report_per_reporter_fingerprint"
    ]
    # As before the constraint: the same report stored three times by a race. (Django's
    # foreign keys are deferred: checked now, so that the table may be altered.)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.remove_constraint(Report, constraint)
    copies = [
        Report.objects.create(
            title=first.title,
            description=first.description,
            reporter=reporter,
            fingerprint=first.fingerprint,
            received_at=first.received_at,
        )
        for _ in range(2)
    ]
    migration.separate_repeated_fingerprints(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.add_constraint(Report, constraint)

    fingerprints = {r.pk: r.fingerprint for r in Report.objects.filter(reporter=reporter)}
    assert len(fingerprints) == 3 and len(set(fingerprints.values())) == 3
    assert fingerprints[first.pk] == first.fingerprint
    assert all(fingerprints[c.pk] != first.fingerprint for c in copies)
    again, created = services.submit_report(reporter=reporter, **REPORT)
    assert (again.pk, created) == (first.pk, False)
