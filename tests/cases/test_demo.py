"""The demo data behind `make run`: what each account sees, and that reseeding is a no-op.

The content tests load ``cases.demo`` alone (each feature's demo module is tested by
its owner); the idempotency test runs the whole ``seed_demo`` command, every module.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from cases import access
from cases.models import Case, CommentVisibility, ReportStatus
from tests.access_drift import assert_no_access_drift


@pytest.fixture
def private_storage(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }


@pytest.fixture
def seeded(db: Any, private_storage: None) -> None:
    from cases import demo

    demo.seed()


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_seeding_twice_changes_nothing(db: Any, private_storage: None) -> None:
    call_command("seed_demo", "--force", stdout=io.StringIO())
    before = row_counts()
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert row_counts() == before
    # Memberships, groups and grants agree on the whole demo (manage.py check_access).
    assert_no_access_drift()


def test_seed_demo_refuses_to_run_without_debug_or_force(db: Any, settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_every_demo_account_signs_in_with_the_demo_password(seeded: None) -> None:
    from cases.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    for username, _ in DEMO_ACCOUNTS:
        assert user(username).check_password(DEMO_PASSWORD), username


@pytest.mark.parametrize(
    ("username", "expected_cases"),
    [
        ("coordinator", 3),
        ("coordinator2", 3),
        ("maintainer", 2),
        ("maintainer2", 1),
        ("partner", 1),
        ("downstream", 1),
        ("researcher", 3),
        ("outsider", 0),
    ],
)
def test_each_demo_account_sees_exactly_what_its_role_allows(
    seeded: None, username: str, expected_cases: int
) -> None:
    assert access.visible_cases(user(username)).count() == expected_cases


def test_the_maintainers_see_only_their_projects_cases(seeded: None) -> None:
    for case in access.visible_cases(user("maintainer")):
        assert [p.name for p in case.projects.all()] == ["libexample"]
    for case in access.visible_cases(user("maintainer2")):
        assert [p.name for p in case.projects.all()] == ["fastparse"]


def test_the_partner_takes_part_in_the_libexample_case_only(seeded: None) -> None:
    # Its embargo is the disclosure demo's (tests/disclosure/test_disclosure_demo.py).
    (case,) = access.visible_cases(user("partner"))
    assert case.projects.get().name == "libexample"
    roles = set(access.access_for(user("partner"), case).roles)
    assert roles == {"partner"}


def test_three_reports_wait_for_triage_and_two_describe_the_same_flaw(seeded: None) -> None:
    from cases.models import Report

    waiting = list(Report.objects.filter(status=ReportStatus.NEW))
    assert len(waiting) == 3
    xxe = [r for r in waiting if r.cwe == "CWE-611"]
    assert len(xxe) == 2
    first, second = xxe
    assert first.package == second.package == "pkg:pypi/libexample"
    assert first.reporter != second.reporter


def test_every_case_has_history_discussion_and_a_scored_vulnerability(seeded: None) -> None:
    for case in Case.objects.all():
        assert case.timeline.count() >= 5
        assert case.comments.exists()
        assert any(v.cvss3_vector and v.cvss3_score for v in case.vulnerabilities.all())
        assert case.created_at < case.updated_at


def test_coordinator_only_notes_stay_with_coordinators(seeded: None) -> None:
    case = access.visible_cases(user("partner")).get()
    assert case.comments.filter(visibility=CommentVisibility.COORDINATORS).exists()
    seen_by_partner = access.access_for(user("partner"), case).comments()
    assert not seen_by_partner.exclude(visibility=CommentVisibility.ALL).exists()
    seen_by_coordinator = access.access_for(user("coordinator"), case).comments()
    assert seen_by_coordinator.count() == case.comments.count()


def test_the_outsider_sees_no_case_and_no_report(seeded: None) -> None:
    outsider = user("outsider")
    assert not access.visible_cases(outsider).exists()
    assert not access.visible_reports(outsider).exists()
