"""The case page of a very large case: the latest discussion and history, constant cost."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case, Comment
from cases.views.case_detail import RECENT_ITEMS

pytestmark = pytest.mark.django_db


def _comments(case: Case, author: Any, n: int) -> None:
    Comment.objects.bulk_create(
        Comment(case=case, author=author, body=f"comment number {i:04d}") for i in range(n)
    )


def test_the_case_page_shows_the_latest_comments_and_links_to_the_whole_discussion(
    client_for: Any, coordinator: Any, case: Case
) -> None:
    _comments(case, coordinator, RECENT_ITEMS + 10)

    page = client_for(coordinator).get(case.get_absolute_url()).content.decode()

    assert f"comment number {RECENT_ITEMS + 9:04d}" in page
    assert "comment number 0009" not in page
    assert "Show the whole discussion" in page


def test_the_whole_discussion_is_one_click_away(
    client_for: Any, coordinator: Any, case: Case
) -> None:
    _comments(case, coordinator, RECENT_ITEMS + 10)

    page = client_for(coordinator).get(case.get_absolute_url() + "?all=comments").content
    assert b"comment number 0000" in page
    assert b"Show the whole discussion" not in page


def test_a_reporter_still_sees_only_what_the_comment_filter_allows(
    client_for: Any, coordinator: Any, reporter: Any, case: Case
) -> None:
    services.post_comment(case, coordinator, "internal note", visibility="coordinators")

    page = client_for(reporter).get(case.get_absolute_url() + "?all=comments").content
    assert b"internal note" not in page


def test_the_case_page_costs_the_same_queries_with_5_or_300_comments(
    client_for: Any, coordinator: Any, case: Case, other_project: Any, settings: Any
) -> None:
    # The cost of rendering the page (what the cached fragments save: test_page_cache.py).
    settings.CASE_PAGE_CACHE_SECONDS = 0
    client = client_for(coordinator)
    _comments(case, coordinator, 5)
    client.get(case.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(case.get_absolute_url())

    _comments(case, coordinator, 295)
    for i in range(100):
        case.log(coordinator, "case.comment.posted", {"n": i})
    with CaptureQueriesContext(connection) as many:
        client.get(case.get_absolute_url())

    assert len(many) == len(few)
