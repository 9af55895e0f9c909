"""The case page's cached fragments (cases/page_cache.py): served again only while
nothing they show has changed, and only to the viewer they were rendered for."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import page_cache, services, tasks
from cases.models import AffectedPackage, Case, CaseChange, Participant, Vulnerability

pytestmark = pytest.mark.django_db


def _page(client: Any, case: Case) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_every_model_that_belongs_to_a_case_is_watched_by_a_trigger() -> None:
    watched = {w.label for w in page_cache.watched_tables()}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        points_to_case = model is Case or any(
            isinstance(f, models.ForeignKey) and f.related_model is Case
            for f in model._meta.concrete_fields
        )
        if points_to_case and label not in page_cache.UNWATCHED:
            assert label in watched, f"{label} belongs to a case but no trigger watches it"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = %s",
            [page_cache.TRIGGER],
        )
        installed = {row[0] for row in cursor.fetchall()}
    assert {w.table for w in page_cache.watched_tables()} == installed
    assert {"cases_vendorstatus", "disclosure_prenotification", "cases_case_projects"} <= installed


def test_a_second_view_is_served_from_the_fragments_with_the_same_page(
    client_for: Any, coordinator: Any, case: Case
) -> None:
    client = client_for(coordinator)
    # Within one minute (the key holds the minute: relative dates move with it).
    with time_machine.travel(timezone.now(), tick=False):
        first, first_queries = _page(client, case)
        second, second_queries = _page(client, case)

    assert second_queries < first_queries - 10
    # The same page except the per-request CSRF masks.
    strip = [line for line in first.splitlines() if "csrfmiddlewaretoken" not in line]
    assert strip == [line for line in second.splitlines() if "csrfmiddlewaretoken" not in line]


def test_a_comment_shows_at_once(client_for: Any, coordinator: Any, case: Case) -> None:
    client = client_for(coordinator)
    _page(client, case)
    services.post_comment(case, coordinator, "a brand new comment")

    assert "a brand new comment" in _page(client, case)[0]


def test_a_bulk_update_of_a_grandchild_row_shows_at_once(
    client_for: Any, coordinator: Any, case: Case
) -> None:
    """Writes that bypass the services and signals (``QuerySet.update``) on a row two
    steps from the case (affected package -> vulnerability -> case) change the stamp."""
    vulnerability = Vulnerability.objects.create(case=case, title="Heap overflow")
    AffectedPackage.objects.create(
        vulnerability=vulnerability, purl="pkg:pypi/libexample", vers="vers:pypi/<1.2.3"
    )
    client = client_for(coordinator)
    assert "vers:pypi/&lt;1.2.3" in _page(client, case)[0]

    AffectedPackage.objects.filter(vulnerability=vulnerability).update(vers="vers:pypi/<9.9.9")

    page = _page(client, case)[0]
    assert "vers:pypi/&lt;9.9.9" in page and "vers:pypi/&lt;1.2.3" not in page


def test_fragments_are_never_shared_between_viewers(
    client_for: Any, coordinator: Any, maintainer: Any, case: Case
) -> None:
    services.post_comment(case, coordinator, "coordinators only", visibility="coordinators")
    coordinator_page = _page(client_for(coordinator), case)[0]
    assert "coordinators only" in coordinator_page

    maintainer_page = _page(client_for(maintainer), case)[0]
    assert "coordinators only" not in maintainer_page
    assert "Edit details" not in maintainer_page


def test_a_removed_participant_gets_404_even_with_fragments_kept(
    client_for: Any, coordinator: Any, maintainer: Any, case: Case
) -> None:
    client = client_for(maintainer)
    _page(client, case)
    participant = Participant.objects.get(case=case, role="maintainer")
    services.remove_participant(participant, coordinator)

    assert client.get(case.get_absolute_url()).status_code == 404


def test_a_visit_writes_no_change(
    client_for: Any, coordinator: Any, maintainer: Any, case: Case
) -> None:
    """Recording a view (access record, a participant's last visit) leaves the stamp
    as it was: otherwise no view of an embargoed case would ever be served cached."""
    _page(client_for(maintainer), case)
    before = page_cache.stamp(case)
    Participant.objects.filter(case=case).update(last_seen_at=case.created_at)

    assert page_cache.stamp(case) == before


def test_the_cache_can_be_switched_off(
    client_for: Any, coordinator: Any, case: Case, settings: Any
) -> None:
    settings.CASE_PAGE_CACHE_SECONDS = 0
    client = client_for(coordinator)
    _page(client, case)  # the first view of a session writes what later ones read
    _, second = _page(client, case)
    _, third = _page(client, case)

    assert third == second > 30


def test_pruning_keeps_each_cases_newest_change(coordinator: Any, case: Case) -> None:
    services.post_comment(case, coordinator, "one")
    services.post_comment(case, coordinator, "two")
    newest = CaseChange.objects.filter(case_id=case.pk).latest("id")
    assert CaseChange.objects.filter(case_id=case.pk).count() > 1

    page_cache.prune(older_than_seconds=0)
    assert tasks.prune_case_changes() == 0  # the scheduled task: nothing left to prune

    assert list(CaseChange.objects.filter(case_id=case.pk)) == [newest]
