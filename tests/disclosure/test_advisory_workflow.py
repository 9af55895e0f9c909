"""The advisory workflow: each transition changes the state AND writes its timeline
entry; a second coordinator approves; stale edits are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import CaseState, StaleEdit, TransitionError
from disclosure.models import Advisory, AdvisoryState
from tests.disclosure.advisory_factories import approved_advisory, set_embargo, summarised_draft
from tests.disclosure.disc_factories import release_fix
from tests.factories import make_case


def last_entry(case):
    return case.timeline.order_by("-created_at", "-id").first()


def test_coordinator_creates_a_draft_with_a_provisional_identifier(case, coordinator):
    case.update_details(
        coordinator, expected_version=case.version, title="Heap overflow", summary=""
    )
    advisory = Advisory.create_for_case(case, coordinator)

    assert advisory.state == AdvisoryState.DRAFT
    assert advisory.title == "Heap overflow"
    assert advisory.identifier == f"DRAFT-{case.reference}"
    assert not advisory.has_public_identifier
    entry = last_entry(case)
    assert entry.action == "case.advisory.created"
    assert entry.data["advisory"] == advisory.identifier


def test_public_identifiers_are_allocated_at_publication_without_gaps(
    coordinator, second_coordinator, project
):
    """A draft still under embargo takes no number: the public sequence betrays nothing."""
    from tests.disclosure.advisory_factories import published_advisory

    waiting = Advisory.create_for_case(make_case(coordinator, project=project), coordinator)
    first = published_advisory(
        make_case(coordinator, project=project), coordinator, second_coordinator
    )
    second = published_advisory(
        make_case(coordinator, project=project), coordinator, second_coordinator
    )

    year = first.published_at.year
    number = int(first.identifier.rsplit("-", 1)[1])
    assert first.identifier == f"AKRITES-{year}-{number:04d}"
    assert second.identifier == f"AKRITES-{year}-{number + 1:04d}"
    waiting.refresh_from_db()
    assert not waiting.has_public_identifier
    entry = first.case.timeline.get(action="case.advisory.published")
    assert entry.data["advisory"] == first.identifier
    assert entry.data["provisional"] == f"DRAFT-{first.case.reference}"


def test_a_case_gets_only_one_advisory(case, coordinator):
    Advisory.create_for_case(case, coordinator)

    with pytest.raises(TransitionError):
        Advisory.create_for_case(case, coordinator)


def test_editing_the_draft_changes_it_and_logs_the_fields(case, coordinator):
    advisory = Advisory.create_for_case(case, coordinator)

    edited = advisory.edit(
        coordinator,
        expected_version=advisory.version,
        title="New title",
        references="https://example.org/fix Fix",
    )

    assert edited.title == "New title"
    assert edited.references == [{"url": "https://example.org/fix", "label": "Fix", "type": "web"}]
    assert edited.version == advisory.version + 1
    entry = last_entry(case)
    assert entry.action == "case.advisory.edited"
    assert set(entry.data["fields"]) == {"title", "references"}


def test_an_edit_from_a_stale_version_is_refused_and_changes_nothing(
    case, coordinator, second_coordinator
):
    advisory = Advisory.create_for_case(case, coordinator)
    stale = advisory.version
    advisory.edit(second_coordinator, expected_version=stale, title="Theirs")

    with pytest.raises(StaleEdit):
        advisory.edit(coordinator, expected_version=stale, title="Mine")

    advisory.refresh_from_db()
    assert advisory.title == "Theirs"


def test_bad_content_is_a_field_error_and_nothing_is_saved(case, coordinator):
    advisory = Advisory.create_for_case(case, coordinator)

    with pytest.raises(ValidationError) as excinfo:
        advisory.edit(
            coordinator,
            expected_version=advisory.version,
            title="",
            references="javascript:alert(1) click",
        )

    assert set(excinfo.value.message_dict) == {"title", "references"}
    advisory.refresh_from_db()
    assert advisory.title == "Vulnerability in libexample"


def test_a_draft_does_not_copy_a_case_title_still_in_a_reporters_wording(case, coordinator):
    """Partners and downstream read the draft; the case title is the report's title."""
    assert case.title_from_report_id is not None

    advisory = Advisory.create_for_case(case, coordinator)

    assert case.title not in (advisory.title, advisory.summary)
    assert advisory.title == "Vulnerability in libexample"
    # Nor the case summary (internal): no vulnerability has a description yet.
    assert advisory.summary == ""


def test_submitting_puts_the_draft_in_review(case, coordinator):
    advisory = summarised_draft(case, coordinator).submit(coordinator)

    assert advisory.state == AdvisoryState.IN_REVIEW
    assert advisory.submitted_by == coordinator
    entry = last_entry(case)
    assert entry.action == "case.advisory.submitted"
    assert (entry.data["from"], entry.data["to"]) == ("draft", "in_review")


def test_the_author_cannot_approve_their_own_advisory(case, coordinator):
    advisory = summarised_draft(case, coordinator).submit(coordinator)

    with pytest.raises(TransitionError, match="second coordinator"):
        advisory.approve(coordinator)

    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.IN_REVIEW
    assert last_entry(case).action == "case.advisory.submitted"


def test_whoever_submitted_cannot_approve_either(case, coordinator, second_coordinator, sirt):
    from tests.factories import make_user

    advisory = summarised_draft(case, coordinator)
    advisory = advisory.submit(second_coordinator)

    with pytest.raises(TransitionError):
        advisory.approve(second_coordinator)
    third = make_user("coord3", organisation=sirt)
    assert advisory.approve(third).state == AdvisoryState.APPROVED


def test_a_second_coordinator_approves(case, coordinator, second_coordinator):
    advisory = summarised_draft(case, coordinator).submit(coordinator)

    approved = advisory.approve(second_coordinator)

    assert approved.state == AdvisoryState.APPROVED
    assert approved.reviewer == second_coordinator
    entry = last_entry(case)
    assert entry.action == "case.advisory.approved"
    assert entry.actor == second_coordinator


def test_requesting_changes_needs_a_reason_and_returns_to_draft(
    case, coordinator, second_coordinator
):
    advisory = summarised_draft(case, coordinator).submit(coordinator)
    with pytest.raises(ValidationError):
        advisory.request_changes(second_coordinator, reason=" ")

    advisory = advisory.request_changes(second_coordinator, reason="Name the fixed version.")

    assert advisory.state == AdvisoryState.DRAFT
    entry = last_entry(case)
    assert entry.action == "case.advisory.changes_requested"
    assert entry.data["reason"] == "Name the fixed version."


def test_an_advisory_in_review_cannot_be_edited(case, coordinator):
    advisory = summarised_draft(case, coordinator).submit(coordinator)

    with pytest.raises(TransitionError):
        advisory.edit(coordinator, expected_version=advisory.version, title="Sneaky")


def test_scheduling_needs_an_approval(case, coordinator):
    advisory = Advisory.create_for_case(case, coordinator)

    with pytest.raises(TransitionError):
        advisory.schedule(coordinator)


def test_scheduling_an_approved_advisory(case, coordinator, second_coordinator):
    advisory = approved_advisory(case, coordinator, second_coordinator)

    scheduled = advisory.schedule(coordinator)

    assert scheduled.state == AdvisoryState.SCHEDULED
    assert scheduled.scheduled_at is not None
    assert last_entry(case).action == "case.advisory.scheduled"


def test_recalling_to_draft_drops_the_approval(case, coordinator, second_coordinator):
    advisory = approved_advisory(case, coordinator, second_coordinator).schedule(coordinator)

    withdrawn = advisory.recall(coordinator)

    assert withdrawn.state == AdvisoryState.DRAFT
    assert withdrawn.reviewer is None
    assert last_entry(case).action == "case.advisory.withdrawn"


def test_publishing_before_the_embargo_lifts_is_refused(case, coordinator, second_coordinator):
    from datetime import timedelta

    from django.utils import timezone

    set_embargo(case, timezone.now() + timedelta(days=3))
    advisory = approved_advisory(case, coordinator, second_coordinator)

    with pytest.raises(TransitionError, match="embargo"):
        advisory.publish(coordinator)

    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.APPROVED
    assert advisory.revisions.count() == 0


def test_publishing_freezes_revision_one_and_marks_the_case_published(
    case, coordinator, second_coordinator
):
    from datetime import timedelta

    from django.utils import timezone

    set_embargo(case, timezone.now() - timedelta(hours=1))
    release_fix(case, coordinator)  # the release gate: the fix is out first
    case.transition("accept", coordinator)
    case.transition("start", coordinator)
    advisory = approved_advisory(case, coordinator, second_coordinator)

    published = advisory.publish(second_coordinator)

    assert published.state == AdvisoryState.PUBLISHED
    assert published.revision == 1
    revision = published.revisions.get()
    assert revision.content["title"] == published.title
    actions = list(case.timeline.values_list("action", flat=True))
    assert "case.advisory.published" in actions
    assert actions[-1] == "case.state.publish"
    case.refresh_from_db()
    assert case.state == CaseState.PUBLISHED


def test_a_later_update_is_a_new_revision_and_the_history_is_kept(
    case, coordinator, second_coordinator
):
    from tests.disclosure.advisory_factories import published_advisory, revise_and_publish

    advisory = published_advisory(case, coordinator, second_coordinator)
    first_title = advisory.title

    revised = revise_and_publish(
        advisory,
        coordinator,
        second_coordinator,
        revision_summary="Clarify the impact.",
        title="Clearer title",
    )

    assert revised.revision == 2
    assert [r.content["title"] for r in revised.revisions.all()] == [first_title, "Clearer title"]
    assert revised.revisions.get(number=2).summary == "Clarify the impact."
    assert last_entry(case).action == "case.advisory.revised"


def test_editing_a_published_advisory_changes_nothing_public_until_the_next_revision(
    case, coordinator, second_coordinator
):
    from disclosure.advisories.content import publication_for
    from tests.disclosure.advisory_factories import published_advisory

    advisory = published_advisory(case, coordinator, second_coordinator)
    advisory = advisory.edit(
        coordinator, expected_version=advisory.version, title="Work in progress"
    )

    assert publication_for(advisory).content["title"] != "Work in progress"
    assert advisory.has_unpublished_changes


def test_a_revision_needs_a_summary(case, coordinator, second_coordinator):
    from tests.disclosure.advisory_factories import published_advisory

    advisory = published_advisory(case, coordinator, second_coordinator)

    with pytest.raises(ValidationError) as excinfo:
        advisory.submit_revision(coordinator, summary="")
    assert "revision_summary" in excinfo.value.message_dict


def test_submit_schedule_and_publish_announce_themselves_with_ids_only(
    case, coordinator, second_coordinator, request
):
    from datetime import timedelta

    from django.utils import timezone

    from cases import events

    calls = []

    def listen(name, **ids):
        calls.append((name, ids))

    events.subscribe(listen)
    request.addfinalizer(lambda: events.unsubscribe(listen))
    set_embargo(case, timezone.now() - timedelta(minutes=1))
    release_fix(case, coordinator)

    advisory = approved_advisory(case, coordinator, second_coordinator)
    advisory = advisory.schedule(coordinator).publish(None)

    ids = {"case_id": case.pk, "advisory_id": advisory.pk}
    assert [c for c in calls if c[0].startswith("advisory.")] == [
        ("advisory.submitted", ids),
        ("advisory.scheduled", ids),
        ("advisory.published", ids),
    ]
