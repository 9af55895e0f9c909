"""The advisory workflow on behalf of a person.

Each function checks the actor's right itself (``manage_case`` through
``cases.access.require_on``: ``PermissionDenied``; approving also through
``disclosure.access.can_approve_advisory``, the predicate the advisory panel asks to
show the button: ``TransitionError``, the second-coordinator rule the page reports as
it always did) and then calls the one
``Advisory`` method that makes the change (lock, state, timeline, event). The views,
the demo and the benchmark call these; the scheduler publishes through
``publication.publish_due_advisories``, a system caller without an actor.
"""

from __future__ import annotations

from typing import Any

from cases.access import require_on
from cases.models import Case, TransitionError
from cases.types import User
from disclosure.access import can_approve_advisory
from disclosure.models import Advisory

# The steps of the review, each an ``Advisory`` method of the same name.
STEPS = frozenset({"submit", "approve", "request_changes", "withdraw", "schedule", "publish"})


def start_advisory(case: Case, actor: User) -> Advisory:
    """Start the draft of the case's advisory (coordinators)."""
    require_on(actor, case, "manage_case")
    return Advisory.create_for_case(case, actor)


def edit_advisory(
    advisory: Advisory, actor: User, *, expected_version: int, **content: Any
) -> Advisory:
    """Change the working copy (coordinators)."""
    require_on(actor, advisory.case, "manage_case")
    return advisory.edit(actor, expected_version=expected_version, **content)


def revise_advisory(
    advisory: Advisory,
    actor: User,
    *,
    expected_version: int,
    revision_summary: str,
    **content: Any,
) -> Advisory:
    """Edit a published advisory and publish the result as its next revision."""
    require_on(actor, advisory.case, "manage_case")
    return advisory.revise(
        actor, expected_version=expected_version, revision_summary=revision_summary, **content
    )


def take_step(
    advisory: Advisory,
    actor: User,
    step: str,
    *,
    expected_version: int | None = None,
    reason: str = "",
) -> Advisory:
    """One step of the review (``STEPS``) by a coordinator; ``approve`` by a second one."""
    if step not in STEPS:
        raise ValueError(f"Unknown advisory step {step!r}")
    case_access = require_on(actor, advisory.case, "manage_case")
    if step == "approve" and not can_approve_advisory(case_access, advisory):
        # A coordinator who may act on the case but not on this step: the page says so
        # (as the model's own check under the lock does), rather than a 403.
        raise TransitionError(
            "A second coordinator must approve: not the author and not the coordinator "
            "who submitted it."
        )
    if step == "request_changes":
        return advisory.request_changes(actor, reason=reason, expected_version=expected_version)
    if step == "publish":
        published = advisory.publish(actor, expected_version=expected_version)
        assert published is not None  # only a skip_locked publication returns None
        return published
    method = getattr(advisory, step)
    result: Advisory = method(actor, expected_version=expected_version)
    return result
