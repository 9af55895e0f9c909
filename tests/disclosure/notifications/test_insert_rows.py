"""``insert_rows`` (the outbox writer of events and the sweep) stores exactly the values it
is given, dedupes by the unique constraints, and ``id_in`` filters like ``__in``."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Organisation
from disclosure.notifications import services
from disclosure.notifications.audience import id_in
from disclosure.notifications.models import Channel, Notification, Status, WebhookSubscription
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db

# Microseconds that DjangoJSONEncoder (milliseconds) or a float would lose.
DUE = dt.datetime(2026, 3, 2, 12, 0, 0, 123457, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 3, 2, 13, 4, 5, 999999, tzinfo=dt.UTC)
# The same kind of instant written with another offset, and one without microseconds.
PARIS = dt.datetime(2026, 7, 1, 9, 30, 0, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
WHOLE = dt.datetime(2026, 3, 3, 0, 0, 0, tzinfo=dt.UTC)

# What a stored row holds: the written columns and the two every insert sets.
STORED = (*services.INSERT_FIELDS, "attempts", "last_error")


def _row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "reminder.embargo",
        "key": "reminder.embargo.48h",
        "subject": "embargo:7",
        "due_at": DUE,
        "case_id": None,
        "data": {},
        "escalation": False,
        "created_at": NOW,
        "next_attempt_at": NOW,
        "status": Status.PENDING,
        "sent_at": None,
        "recipient_id": None,
        "subscription_id": None,
        "channel": Channel.EMAIL,
    }
    row.update(values)
    return row


@pytest.fixture
def rows(case: Case, coordinator: Any, maintainer: Any) -> list[dict[str, Any]]:
    org = make_organisation(Organisation.Kind.PARTNER)
    sub = WebhookSubscription.objects.create(organisation=org, url="https://hooks.example/a")
    awkward = {
        "embargo_id": 7,
        "hours_before": 48,
        "ids": [3, 1, 2],
        "nested": {"quote": 'it\'s "quoted"', "backslash": "a\\b", "brace": "{x,y}"},
        "unicode": "Zoë 漏洞 ✓",
        "null": None,
        "flag": True,
        "ratio": 0.5,
    }
    return [
        _row(
            case_id=case.pk,
            recipient_id=maintainer.pk,
            channel=Channel.IN_APP,
            status=Status.SENT,
            sent_at=NOW,
            data=awkward,
        ),
        _row(case_id=case.pk, recipient_id=maintainer.pk, channel=Channel.EMAIL, data=awkward),
        _row(
            kind="escalation.overdue",
            key="escalation.overdue.embargo",
            subject="embargo:7",
            due_at=PARIS,
            case_id=case.pk,
            recipient_id=coordinator.pk,
            channel=Channel.DIGEST,
            status=Status.HELD,
            escalation=True,
            next_attempt_at=WHOLE,
            created_at=WHOLE,
        ),
        # A webhook row: no recipient, no case (a report's event), empty data.
        _row(
            kind="report.received",
            key="report.received",
            subject="report:9",
            subscription_id=sub.pk,
            channel=Channel.WEBHOOK,
        ),
    ]


def _stored() -> list[tuple[Any, ...]]:
    return list(Notification.objects.order_by("id").values_list(*STORED))


def _expected(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    defaults = {
        "attempts": 0,
        "last_error": "",
        "lease_until": None,
        "claim_token": None,
        "read_at": None,
    }
    return [tuple({**row, **defaults}[name] for name in STORED) for row in rows]


def test_inserted_rows_hold_exactly_the_values_given(rows: list[dict[str, Any]]) -> None:
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        services.insert_rows(rows)
    assert len(queries) == 1  # one statement on PostgreSQL, one bulk_create batch elsewhere
    stored = _stored()
    assert stored == _expected(rows)
    # Datetimes to the microsecond, whatever offset they were written with.
    assert [s[3] for s in stored] == [DUE, DUE, PARIS, DUE]
    assert stored[0][3].microsecond == 123457
    assert stored[2][3] == dt.datetime(2026, 7, 1, 7, 30, 0, 1, tzinfo=dt.UTC)
    assert stored[0][12] == NOW and stored[0][12].microsecond == 999999
    # NULLs stay NULL (not "None", not 0), the JSON comes back as it went in.
    assert stored[1][12] is None and stored[3][4] is None and stored[3][5] is None
    assert stored[0][9]["nested"]["quote"] == 'it\'s "quoted"'
    assert stored[0][9]["null"] is None and stored[3][9] == {}
    uuids = list(Notification.objects.values_list("uuid", flat=True))
    assert len(set(uuids)) == 4 and all(u is not None and u.version == 4 for u in uuids)


def test_a_second_write_of_the_same_rows_inserts_nothing(rows: list[dict[str, Any]]) -> None:
    Notification.objects.all().delete()
    services.insert_rows(rows)
    first = list(Notification.objects.order_by("id").values_list("id", "uuid", *STORED))
    # Changed payload and times, same unique keys: the rows already there win.
    again = [
        {**row, "data": {"other": 1}, "created_at": WHOLE, "status": Status.FAILED} for row in rows
    ]
    services.insert_rows(again)
    assert list(Notification.objects.order_by("id").values_list("id", "uuid", *STORED)) == first


def test_duplicates_within_one_write_are_inserted_once(rows: list[dict[str, Any]]) -> None:
    Notification.objects.all().delete()
    services.insert_rows(rows + rows)
    assert _stored() == _expected(rows)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL path")
def test_large_writes_go_in_chunks_and_keep_their_order(
    rows: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    Notification.objects.all().delete()
    monkeypatch.setattr(services, "_INSERT_CHUNK", 3)
    many = [
        _row(
            subject=f"embargo:{i}", recipient_id=rows[0]["recipient_id"], case_id=rows[0]["case_id"]
        )
        for i in range(7)
    ]
    with CaptureQueriesContext(connection) as queries:
        services.insert_rows(many)
    assert len(queries) == 3
    assert _stored() == _expected(many)


def test_a_value_json_cannot_hold_is_refused_not_turned_into_text(
    rows: list[dict[str, Any]],
) -> None:
    Notification.objects.all().delete()
    bad = _row(recipient_id=rows[0]["recipient_id"], data={"when": NOW})
    with pytest.raises(TypeError), transaction.atomic():
        services.insert_rows([bad])
    assert not Notification.objects.exists()


def test_id_in_filters_exactly_like_in(db: Any) -> None:
    users = [make_user() for _ in range(5)]
    ids = {users[0].pk, users[3].pk, 10**12}  # and an id that exists nowhere
    User = get_user_model()
    by_any = set(User.objects.filter(id_in("pk", ids)).values_list("pk", flat=True))
    assert by_any == set(User.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert by_any == {users[0].pk, users[3].pk}
    assert not User.objects.filter(id_in("pk", set())).exists()
    # Combined with other conditions and negated, like any Q.
    others = User.objects.filter(~id_in("pk", ids), pk__in=[u.pk for u in users])
    assert set(others.values_list("pk", flat=True)) == {u.pk for u in users} - ids
