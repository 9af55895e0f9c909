"""Intake is not an oracle (issue 10, section 3).

Whoever submits a report gets the same answer whether or not the finding is already
reported or under coordination: web, API, the report's page, notifications. The
reporter learns that it is a duplicate only when a coordinator confirms it (a merge),
and the case only when they may see it. Submissions share one per-user budget on the
web and the API that extra tokens do not raise.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from cases import duplicates, services
from cases.models import Case, Organisation, Report, ReportStatus
from disclosure.notifications import services as notif
from disclosure.notifications.models import Channel, Notification
from tests.api.conftest import token_client
from tests.disclosure.advisory_factories import set_embargo
from tests.factories import make_case, make_organisation, make_project, make_user

pytestmark = pytest.mark.django_db

# The embargoed case an attacker probes for: libexample, billion laughs, CWE-776.
EMBARGOED = {
    "title": "XML entity expansion (billion laughs) in libexample config loader",
    "description": "load_config() expands nested XML entities without a limit.",
    "purl": "pkg:pypi/libexample@1.2.0",
    "vers": "vers:pypi/>=1.0|<1.4.2",
    "cwe": "CWE-776",
    "cvss_vector": "",
}
# A submission of the same flaw, as the web form and the API take it.
PROBE = {
    "title": "Billion laughs XML entity expansion in libexample config loader",
    "description": "Nested entities in a config file make load_config() use all memory.",
    "purl": "pkg:pypi/libexample@1.3.0",
    "vers": "vers:pypi/>=1.2|<1.4",
    "cwe": "CWE-776",
    "cvss_vector": "",
}
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    # Throttle counters live in the cache; each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def libexample(db: Any) -> Any:
    return make_project(make_organisation(Organisation.Kind.MAINTAINER), name="libexample")


def _embargoed_case(coordinator: Any, project: Any) -> Case:
    case = make_case(coordinator, project=project, reporter=make_user("first_finder"), **EMBARGOED)
    set_embargo(case, timezone.now() + dt.timedelta(days=30))
    return case


@dataclass
class Answer:
    report_id: int
    parts: dict[str, Any]


def _normalised(text: str, report_id: int) -> str:
    """The report id and per-response tokens (CSRF) replaced: what remains must be equal."""
    text = re.sub(rf"(#|/reports/|\"id\":){report_id}\b", r"\1<id>", text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', text)


def _with_and_without_the_case(
    coordinator: Any, project: Any, submit: Callable[[], Answer]
) -> tuple[Answer, Answer]:
    """The same submission while the embargoed case exists, and in the same world without
    it (a savepoint rolled back), at the same moment."""
    with time_machine.travel(NOW, tick=False):
        savepoint = transaction.savepoint()
        case = _embargoed_case(coordinator, project)
        with_case = submit()
        # The probe is a duplicate the old intake reported ("already under coordination").
        report = Report.objects.get(pk=with_case.report_id)
        assert case in [c.case for c in duplicates.candidates_for(report)]
        transaction.savepoint_rollback(savepoint)
        assert not Case.objects.exists()
        without_case = submit()
    return with_case, without_case


def _reporter_notifications(user: Any) -> list[tuple[str, str]]:
    notif.send_all_pending()
    rows = Notification.objects.filter(recipient=user)
    mails = [m for m in mail.outbox if user.email in m.to]
    return [(n.kind, n.channel) for n in rows] + [("mail", m.subject) for m in mails]


def test_the_web_answer_is_the_same_whether_or_not_the_finding_is_under_coordination(
    coordinator: Any, libexample: Any, outsider: Any
) -> None:
    client = Client()
    client.force_login(outsider)

    def submit() -> Answer:
        mail.outbox.clear()
        posted = client.post("/reports/new/", {**PROBE, "wants_credit": "on"})
        report = Report.objects.get(reporter=outsider)
        page = client.get(posted["Location"])  # the redirect target, with the message
        again = client.post("/reports/new/", {**PROBE, "wants_credit": "on"}, follow=True)
        listing = client.get("/reports/")
        parts = {
            "status": posted.status_code,
            "location": posted["Location"],
            "body": posted.content.decode(),
            "page": page.content.decode(),
            "resubmitted": (again.status_code, again.content.decode()),
            "list": listing.content.decode(),
            "told": _reporter_notifications(outsider),
        }
        return Answer(report.pk, parts)

    with_case, without_case = _with_and_without_the_case(coordinator, libexample, submit)

    assert with_case.parts["status"] == 302
    assert "was received" in with_case.parts["page"]
    assert "under coordination" not in with_case.parts["page"].replace(
        "If it describes a finding already under coordination", ""
    )
    assert with_case.parts["told"] == []
    for name, value in with_case.parts.items():
        assert _normalised(str(value), with_case.report_id) == _normalised(
            str(without_case.parts[name]), without_case.report_id
        ), name


def test_the_api_answer_is_the_same_whether_or_not_the_finding_is_under_coordination(
    coordinator: Any, libexample: Any, outsider: Any
) -> None:
    api = token_client(outsider)

    def submit() -> Answer:
        mail.outbox.clear()
        posted = api.post("/api/v1/reports/", PROBE, format="json")
        report_id = posted.json()["id"]
        again = api.post("/api/v1/reports/", PROBE, format="json")
        replayed = api.post("/api/v1/reports/", PROBE, format="json", HTTP_IDEMPOTENCY_KEY="k")
        parts = {
            "status": posted.status_code,
            "body": posted.content.decode(),
            "content_type": posted["Content-Type"],
            "resubmitted": (again.status_code, again.content.decode()),
            "replayed": (replayed.status_code, replayed.content.decode()),
            "detail": api.get(f"/api/v1/reports/{report_id}/").content.decode(),
            "list": api.get("/api/v1/reports/").content.decode(),
            "notifications": api.get("/api/v1/notifications/").content.decode(),
            "told": _reporter_notifications(outsider),
        }
        return Answer(report_id, parts)

    with_case, without_case = _with_and_without_the_case(coordinator, libexample, submit)

    body = with_case.parts["body"]
    assert with_case.parts["status"] == 201
    assert 'coordination"' not in body and "already_under_coordination" not in body
    assert services.RECEIVED_NEXT_STEPS in body
    for name, value in with_case.parts.items():
        assert _normalised(str(value), with_case.report_id) == _normalised(
            str(without_case.parts[name]), without_case.report_id
        ), name


# --------------------------------------------------------------------------- the merge


@pytest.fixture
def embargoed(coordinator: Any, libexample: Any) -> Case:
    return _embargoed_case(coordinator, libexample)


def _submit(user: Any, **fields: Any) -> Report:
    report, _ = services.submit_report(reporter=user, **{**PROBE, **fields})
    return report


def test_the_reporter_is_told_when_a_coordinator_confirms_the_duplicate_never_where(
    embargoed: Case, coordinator: Any, outsider: Any
) -> None:
    report = _submit(outsider)
    assert Notification.objects.filter(recipient=outsider).count() == 0

    services.merge_report_into_case(report, embargoed, coordinator)

    rows = Notification.objects.filter(recipient=outsider)
    assert {(n.kind, n.channel) for n in rows} == {
        ("report.duplicate_confirmed", Channel.IN_APP),
        ("report.duplicate_confirmed", Channel.EMAIL),
    }
    # The row names the report, never the case: no case reference in mail, centre or API.
    assert all(n.case_id is None and n.data == {"report_id": report.pk} for n in rows)
    notif.send_all_pending()
    (message,) = [m for m in mail.outbox if outsider.email in m.to]
    text = message.subject + message.body + str(message.alternatives)
    assert message.subject == (
        f"[Akrites] Report #{report.pk}: Your report was confirmed as a duplicate "
        "of a finding already under coordination"
    )
    assert f"/reports/{report.pk}/" in text
    for secret in (embargoed.reference, embargoed.title, "first_finder", "CWE-776"):
        assert secret not in text
    api = token_client(outsider)
    (listed,) = api.get("/api/v1/notifications/").json()["results"]
    assert listed["case"] is None and listed["link"].endswith(f"/reports/{report.pk}/")


def test_the_report_page_shows_the_confirmed_duplicate_and_the_case_only_to_who_may_see_it(
    embargoed: Case, coordinator: Any, outsider: Any
) -> None:
    report = _submit(outsider)
    client = Client()
    client.force_login(outsider)
    api = token_client(outsider)
    before = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Confirmed as a duplicate" not in before and "What happens next" in before

    services.merge_report_into_case(report, embargoed, coordinator)
    # Merged, the reporter takes part in the case: the access module lets them see it.
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Confirmed as a duplicate of a finding already under coordination" in page
    assert embargoed.reference in page
    assert api.get(f"/api/v1/reports/{report.pk}/").json()["case"] == embargoed.reference

    participant = embargoed.participants.active().get(user=outsider)
    services.remove_participant(participant, coordinator)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Confirmed as a duplicate of a finding already under coordination" in page
    assert embargoed.reference not in page and embargoed.title not in page
    detail = api.get(f"/api/v1/reports/{report.pk}/").json()
    assert detail["status"] == ReportStatus.DUPLICATE and detail["case"] is None


def test_merging_a_case_into_another_tells_its_reporters_once(
    embargoed: Case, coordinator: Any, outsider: Any
) -> None:
    founding = _submit(outsider, title="Entity expansion DoS in libexample")
    later = _submit(make_user("later_finder"), title="libexample XML bomb")
    opened = services.open_case_from_report(founding, coordinator)
    services.merge_report_into_case(later, opened, coordinator)
    last_row = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    founding.refresh_from_db()
    updated_before = founding.updated_at

    services.mark_case_duplicate(opened, embargoed, coordinator)

    founding.refresh_from_db()
    later.refresh_from_db()
    assert founding.status == later.status == ReportStatus.DUPLICATE
    assert founding.case == later.case == embargoed
    assert founding.updated_at > updated_before  # `updated_since` syncs see the change
    new = Notification.objects.filter(kind="report.duplicate_confirmed", pk__gt=last_row)
    # The founding reporter now; the later one was told at its own merge already.
    assert {n.recipient for n in new} == {outsider}
    first_finder = embargoed.reports.get(reporter__username="first_finder").reporter
    assert not Notification.objects.filter(recipient=first_finder, kind__startswith="report.")


# --------------------------------------------------------------------------- throttling


def _rates(**rates: str) -> dict[str, Any]:
    return {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def test_web_and_api_submissions_share_one_budget_per_user_that_new_tokens_do_not_raise(
    outsider: Any, reporter: Any
) -> None:
    web = Client()
    web.force_login(outsider)

    def by_web(n: int) -> Any:
        return web.post("/reports/new/", {**PROBE, "title": f"Finding {n}"})

    def by_api(n: int) -> Any:  # every call with a token created for it
        return token_client(outsider).post(
            "/api/v1/reports/", {**PROBE, "title": f"Finding {n}"}, format="json"
        )

    with override_settings(REST_FRAMEWORK=_rates(report_submit="4/hour")):
        statuses = [by_web(1).status_code, by_api(2).status_code]
        statuses += [by_web(3).status_code, by_api(4).status_code]
        over_api = by_api(5)
        over_web = by_web(6)
        someone_else = token_client(reporter).post("/api/v1/reports/", PROBE, format="json")

    assert statuses == [302, 201, 302, 201]
    assert over_api.status_code == 429 and over_api.json()["error"]["code"] == "throttled"
    assert over_web.status_code == 429 and int(over_web["Retry-After"]) > 0
    page = over_web.content.decode()
    assert "You have sent the most reports allowed in this period" in page
    assert 'value="Finding 6"' in page  # the input is kept
    assert Report.objects.filter(reporter=outsider).count() == 4
    assert someone_else.status_code == 201
