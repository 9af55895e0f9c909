"""The audit trail: rows for each wired action, append-only on PostgreSQL, hash chain
verified by a command, a SIRT-only page with filters and an audited CSV export."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.urls import reverse

from cases import services, tokens
from cases.audit import AuditEvent, record, verify_chain
from cases.models import ParticipantRole
from tests.factories import make_user
from tests.security.helpers import audit_actions

pytestmark = pytest.mark.django_db


def test_participant_changes_are_audited_with_actor_and_case(
    coordinator: Any, case: Any, partner_org: Any
) -> None:
    participant = services.add_participant(
        case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    services.remove_participant(participant, coordinator)
    added, removed = AuditEvent.objects.filter(action__startswith="case.participant.").order_by(
        "-id"
    )[:2][::-1]
    assert removed.action == "case.participant.removed"
    assert added.action == "case.participant.added"
    assert added.actor == coordinator
    assert added.object_label == case.reference
    assert added.data["organisation"] == partner_org.slug


def test_api_token_creation_and_revocation_are_audited(maintainer: Any) -> None:
    token, _ = tokens.create_token(maintainer, name="scanner", days=30)
    tokens.revoke_token(maintainer, token.pk)
    assert audit_actions(actor=maintainer) == ["api.token.created", "api.token.revoked"]


def test_sign_in_records_the_client_address(maintainer: Any, client: Any) -> None:
    client.post(
        reverse("login"),
        {"username": "maint", "password": "correct-horse-battery-staple"},
        REMOTE_ADDR="192.0.2.10",
    )
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.ip) == (maintainer, "192.0.2.10")


def test_audit_rows_cannot_be_changed_or_deleted_on_postgresql(coordinator: Any) -> None:
    event = record("auth.login", actor=coordinator, note="x")
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="auth.logout"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises((InternalError, ProgrammingError, IntegrityError)), transaction.atomic():
            attempt()
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


def test_each_row_chains_to_the_previous_one(coordinator: Any) -> None:
    first = record("auth.login", actor=coordinator)
    second = record("auth.logout", actor=coordinator, detail={"n": 1})
    assert second.prev_hash == first.hash
    assert verify_chain() == (AuditEvent.objects.count(), None)
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "intact" in out.getvalue()


def test_the_chain_check_fails_and_names_the_row_after_a_tamper(coordinator: Any) -> None:
    record("auth.login", actor=coordinator)
    victim = record("auth.logout", actor=coordinator, amount=1)
    record("audit.exported", actor=coordinator)
    # An attacker with database superuser rights bypasses the trigger.
    with pgtrigger.ignore("cases.AuditEvent:audit_append_only"):
        AuditEvent.objects.filter(pk=victim.pk).update(data={"amount": 1000})
    with pytest.raises(CommandError, match=f"broken at event {victim.pk}"):
        call_command("verify_audit_chain")


def test_the_chain_check_notices_a_deleted_row(coordinator: Any) -> None:
    record("auth.login", actor=coordinator)
    victim = record("auth.logout", actor=coordinator)
    after = record("audit.exported", actor=coordinator)
    with pgtrigger.ignore("cases.AuditEvent:audit_append_only"):
        AuditEvent.objects.filter(pk=victim.pk).delete()
    checked, broken = verify_chain()
    assert broken is not None
    assert broken.event_id == after.pk


def test_coordinators_see_and_filter_the_audit_trail(
    client_for: Any, coordinator: Any, maintainer: Any
) -> None:
    record("auth.login", actor=maintainer)
    record("api.token.created", actor=coordinator)
    page = client_for(coordinator).get(reverse("audit_list"), {"action": "api."})
    assert page.status_code == 200
    shown = [e.action for e in page.context["page"]]
    assert shown == ["api.token.created"]


@pytest.mark.parametrize("persona", ["maintainer", "partner", "outsider"])
def test_others_do_not_know_the_audit_trail_exists(
    client_for: Any, persona: str, request: Any
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("audit_list")).status_code == 404
    assert client.post(reverse("audit_export")).status_code == 404


def test_the_csv_export_is_itself_audited(
    client_for: Any, coordinator: Any, maintainer: Any
) -> None:
    record("auth.login", actor=maintainer)
    # A spreadsheet formula where the trail takes free text: an object's label.
    record("auth.2fa.reset", actor=maintainer, obj=make_user("=cmd|' /C calc'!A0"))
    response = client_for(coordinator).post(reverse("audit_export"), {"actor": "maint"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    assert body.splitlines()[0].startswith("id,created_at,actor")
    assert "auth.login" in body
    assert "\n=cmd" not in body and ",=cmd" not in body
    exported = AuditEvent.objects.filter(action="audit.exported").get()
    assert exported.actor == coordinator
    assert exported.data == {"filters": {"actor": "maint"}, "rows": 2}


def test_embargo_changes_are_audited(coordinator: Any, case: Any) -> None:
    from disclosure import services as disclosure
    from disclosure.models import EmbargoPolicy

    policy = EmbargoPolicy.objects.get(code="standard")
    disclosure.start_clock(case, coordinator, policy=policy, started_by="Report")
    disclosure.break_embargo(case, coordinator, kind="exploited", reason="Exploit seen")
    events = AuditEvent.objects.filter(action__startswith="embargo.").order_by("id")
    assert [e.action for e in events][-1] == "embargo.broken"
    assert "embargo.changed" in [e.action for e in events]
    assert all(e.object_label == case.reference and e.actor == coordinator for e in events)


def test_publication_is_audited(
    coordinator: Any, second_coordinator: Any, case: Any, project: Any, other_project: Any
) -> None:
    from tests.disclosure import advisory_factories as adv

    adv.enrich_case(case, coordinator, project, other_project)
    advisory = adv.published_advisory(case, coordinator, second_coordinator)
    event = AuditEvent.objects.get(action="advisory.published")
    assert event.actor == second_coordinator
    assert event.data["advisory"] == advisory.identifier
