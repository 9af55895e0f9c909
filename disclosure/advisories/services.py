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

from django.db import transaction

from cases.access import require_on
from cases.models import Case, TransitionError
from cases.types import User
from disclosure.access import can_approve_advisory
from disclosure.models import Advisory

# The steps of the review. Before publication each is the ``Advisory`` method of the
# same name. On a published advisory, ``submit_revision`` and ``request_withdrawal``
# open a change (``AdvisoryChange``) and ``approve``, ``request_changes``, ``publish``
# act on it (``approve_change``, ``send_back_change``, ``publish_change``): the same
# four eyes, the same buttons. ``recall`` takes an unpublished advisory back to draft;
# ``request_withdrawal`` withdraws a published one (public, in every format).
STEPS = frozenset(
    {
        "submit",
        "approve",
        "request_changes",
        "recall",
        "schedule",
        "publish",
        "submit_revision",
        "request_withdrawal",
        "cancel_change",
    }
)


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
    """Edit a published advisory's working copy and submit it, in one transaction, as
    its next revision for a second coordinator's approval (nothing is public yet)."""
    require_on(actor, advisory.case, "manage_case")
    with transaction.atomic():
        edited = advisory.edit(actor, expected_version=expected_version, **content)
        edited.submit_revision(actor, summary=revision_summary, expected_version=edited.version)
    return Advisory.objects.get(pk=advisory.pk)


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
        if advisory.is_public:
            raise TransitionError(
                "A second coordinator must approve: not who requested this change and not "
                "who edited the advisory since it was last published."
            )
        raise TransitionError(
            "A second coordinator must approve: not the author and not the coordinator "
            "who submitted it."
        )
    version = expected_version
    if advisory.is_public:
        # A published advisory: the step acts on its change (revision or withdrawal).
        if step == "submit_revision":
            advisory.submit_revision(actor, summary=reason, expected_version=version)
        elif step == "request_withdrawal":
            advisory.request_withdrawal(actor, reason=reason, expected_version=version)
        elif step == "approve":
            advisory.approve_change(actor, expected_version=version)
        elif step == "request_changes":
            advisory.send_back_change(actor, reason=reason, expected_version=version)
        elif step == "cancel_change":
            advisory.cancel_change(actor, expected_version=version)
        elif step == "publish":
            advisory.publish_change(actor, expected_version=version)
        else:
            raise TransitionError("This advisory is published; that step does not apply.")
        return Advisory.objects.get(pk=advisory.pk)
    if step in ("submit_revision", "request_withdrawal", "cancel_change"):
        raise TransitionError("Only a published advisory gets revisions or a withdrawal.")
    if step == "request_changes":
        return advisory.request_changes(actor, reason=reason, expected_version=version)
    if step == "publish":
        published = advisory.publish(actor, expected_version=version)
        assert published is not None  # only a skip_locked publication returns None
        return published
    method = getattr(advisory, step)
    result: Advisory = method(actor, expected_version=version)
    return result
