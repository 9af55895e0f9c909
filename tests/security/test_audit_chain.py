"""The audit chain is keyed and anchored outside the database.

An attacker here can write the audit table directly (the append-only trigger disabled,
as a database superuser could) but holds no key from the environment. They rewrite a
row and the rows after it, append rows, or delete the newest rows; each is caught by
``verify_audit_chain``. Keys rotate: rows keep verifying with the key they name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pgtrigger
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from django_q.models import Schedule

from akrites.settings import parse_audit_keys
from cases import audit
from cases.audit import (
    GENESIS_HASH,
    ROTATION_GRACE,
    Anchor,
    AuditEvent,
    read_anchors,
    record,
    verify_chain,
    write_checkpoint,
)
from cases.checks import check_audit_chain_key

pytestmark = pytest.mark.django_db

KEY_A = "a" * 43
KEY_B = "b" * 43


@pytest.fixture
def keyed(settings: Any) -> Any:
    settings.AUDIT_CHAIN_KEY = KEY_A
    settings.AUDIT_CHAIN_KEY_ID = "a"
    settings.AUDIT_CHAIN_OLD_KEYS = {}
    return settings


@pytest.fixture
def anchor_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "audit-anchors.jsonl"
    settings.AUDIT_ANCHOR_FILE = str(path)
    return path


def rows(n: int) -> list[AuditEvent]:
    return [record("auth.login", attempt=i) for i in range(n)]


def rewrite(events: list[AuditEvent], sign: Any, **changes: Any) -> None:
    """What a forger does: change the first row, then recompute the rows after it so
    they link, with ``sign(event) -> hash``; the trigger disabled."""
    prev = events[0].prev_hash
    with pgtrigger.ignore("cases.AuditEvent:audit_append_only"):
        for i, event in enumerate(events):
            event.refresh_from_db()
            if i == 0:
                for field, value in changes.items():
                    setattr(event, field, value)
            event.prev_hash = prev
            event.hash = sign(event)
            event.save()
            prev = event.hash


def delete(*events: AuditEvent) -> None:
    with pgtrigger.ignore("cases.AuditEvent:audit_append_only"):
        AuditEvent.objects.filter(pk__in=[e.pk for e in events]).delete()


def body(event: AuditEvent) -> bytes:
    text = json.dumps(event.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (event.prev_hash + text).encode()


# --------------------------------------------------------------------------- keyed rows


def test_each_row_is_an_hmac_under_the_configured_key_and_names_the_key(keyed: Any) -> None:
    first, second = rows(2)

    assert (first.key_id, second.key_id) == ("a", "a")
    assert second.prev_hash == first.hash
    assert second.hash == hmac.new(KEY_A.encode(), body(second), hashlib.sha256).hexdigest()
    assert verify_chain() == (AuditEvent.objects.count(), None)


def test_a_row_rewritten_without_the_key_breaks_the_chain_however_the_rest_is_recomputed(
    keyed: Any,
) -> None:
    events = rows(4)
    victim = events[1]
    # Recomputed the way the unkeyed chain was (SHA-256), or under a guessed key.
    forgeries = [
        lambda e: hashlib.sha256(body(e)).hexdigest(),
        lambda e: hmac.new(b"guess", body(e), hashlib.sha256).hexdigest(),
    ]
    for forge in forgeries:
        rewrite(events[1:], forge, data={"attempt": 1000})
        checked, broken = verify_chain()
        assert broken is not None
        assert (checked, broken.event_id) == (1, victim.pk)
        assert broken.reason == "its content does not match its hash"

    with pytest.raises(CommandError, match=f"broken at event {victim.pk}"):
        call_command("verify_audit_chain", stderr=StringIO())


def test_a_forger_cannot_fall_back_to_unkeyed_rows_or_the_public_development_key(
    keyed: Any,
) -> None:
    events = rows(3)

    def unkeyed(e: AuditEvent) -> str:
        return hashlib.sha256(body(e)).hexdigest()

    rewrite(events[1:], unkeyed, key_id="", data={"attempt": 1000})
    assert verify_chain()[1].reason == "it is unkeyed, after the chain was signed with a real key"

    def development_key(e: AuditEvent) -> str:
        return hmac.new(audit.INSECURE_KEY, body(e), hashlib.sha256).hexdigest()

    rewrite(events[1:], development_key, key_id=audit.INSECURE_KEY_ID)
    checked, broken = verify_chain()
    assert (checked, broken.event_id) == (1, events[1].pk)
    assert "development key, after the chain was signed with a real key" in broken.reason


def test_rows_from_before_the_chain_was_keyed_verify_and_the_first_keyed_row_seals_them(
    keyed: Any,
) -> None:
    # Rows as the release before this one wrote them: no key id, plain SHA-256.
    prev = GENESIS_HASH
    legacy = []
    for i in range(3):
        event = AuditEvent(action="auth.login", data={"old": i}, prev_hash=prev)
        event.hash = hashlib.sha256(body(event)).hexdigest()
        event.save(force_insert=True)
        legacy.append(event)
        prev = event.hash
    first_keyed = record("auth.logout")

    assert first_keyed.prev_hash == legacy[-1].hash
    assert verify_chain() == (4, None)

    # Rewriting an old row consistently was possible before; the keyed row now refuses it.
    rewrite(legacy, lambda e: hashlib.sha256(body(e)).hexdigest(), data={"old": 1000})
    checked, broken = verify_chain()
    assert (checked, broken.event_id) == (3, first_keyed.pk)
    assert broken.reason == "does not link to the row before it"


# --------------------------------------------------------------------------- anchors


def test_deleting_the_newest_rows_is_noticed_against_the_latest_anchor(
    keyed: Any, anchor_file: Path
) -> None:
    events = rows(3)
    anchor = write_checkpoint()
    after = rows(2)
    assert anchor.head_id == events[-1].pk and anchor.count == AuditEvent.objects.count() - 2

    delete(events[-1], *after)

    # The rows left are a valid chain: without the anchor nothing looks wrong.
    assert verify_chain()[1] is None
    checked, broken = verify_chain(read_anchors(anchor_file))
    assert broken is not None
    assert broken.event_id == events[-1].pk
    assert broken.reason.startswith(f"missing: the anchor of {anchor.at}")
    with pytest.raises(CommandError, match=f"broken at event {events[-1].pk}: missing"):
        call_command("verify_audit_chain")


def test_rows_written_after_the_latest_anchor_are_reported_not_refused(
    keyed: Any, anchor_file: Path
) -> None:
    rows(2)
    write_checkpoint()
    rows(3)
    out = StringIO()

    call_command("verify_audit_chain", stdout=out)

    total = AuditEvent.objects.count()
    assert f"Audit chain intact: {total} events." in out.getvalue()
    assert "Matches 1 anchor(s)" in out.getvalue()
    assert "(3 events written since)" in out.getvalue()


def test_an_anchor_catches_a_consistent_rewrite_even_by_someone_who_has_the_key(
    keyed: Any, anchor_file: Path
) -> None:
    events = rows(3)
    write_checkpoint()

    def with_the_key(e: AuditEvent) -> str:
        return hmac.new(KEY_A.encode(), body(e), hashlib.sha256).hexdigest()

    rewrite(events, with_the_key, data={"attempt": 1000})

    assert verify_chain()[1] is None
    checked, broken = verify_chain(read_anchors(anchor_file))
    assert broken.event_id == events[-1].pk
    assert broken.reason.startswith("it differs from the anchor of")


def test_an_anchor_that_was_altered_or_made_up_is_refused(keyed: Any, anchor_file: Path) -> None:
    rows(2)
    genuine = write_checkpoint()
    _, keys = audit.keyring()
    altered = Anchor(**{**genuine.__dict__, "count": genuine.count - 1})
    forged = Anchor(genuine.head_id, genuine.head_hash, 1, genuine.at, "a").signed({"a": b"guess"})

    for anchor in (altered, forged):
        assert not anchor.is_authentic(keys)
        checked, broken = verify_chain([genuine, anchor])
        assert broken is not None and "is not signed by a configured key" in broken.reason
    with anchor_file.open("a") as out:
        out.write("not json\n")
    with pytest.raises(CommandError, match="line 2: not an audit anchor"):
        call_command("verify_audit_chain")


def test_a_checkpoint_goes_to_the_log_the_anchor_file_and_the_mail(
    keyed: Any, anchor_file: Path, caplog: Any
) -> None:
    keyed.AUDIT_ANCHOR_EMAIL = ["audit-anchors@example.org"]
    rows(2)
    out = StringIO()

    with caplog.at_level(logging.INFO, logger="cases.audit"):
        call_command("audit_checkpoint", stdout=out)

    line = out.getvalue().strip()
    anchor = Anchor.from_json(line)
    assert anchor.head_id == AuditEvent.objects.order_by("-id").first().pk
    assert anchor.count == AuditEvent.objects.count() and anchor.key_id == "a"
    assert read_anchors(anchor_file) == [anchor]
    assert f"audit anchor {line}" in caplog.text
    (message,) = mail.outbox
    assert message.to == ["audit-anchors@example.org"]
    assert line in message.body
    # The anchor from the mail works on the command line too.
    call_command("verify_audit_chain", "--anchor", line, "--anchor-file", "", stdout=StringIO())


def test_the_checkpoint_is_scheduled_and_its_task_returns_only_a_row_id(
    keyed: Any, anchor_file: Path
) -> None:
    from cases.tasks import audit_checkpoint

    keyed.AUDIT_ANCHOR_MINUTES = 15
    call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(name="cases.audit_checkpoint")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "cases.tasks.audit_checkpoint",
        Schedule.MINUTES,
        15,
    )
    (last,) = rows(1)
    assert audit_checkpoint() == last.pk


def test_without_anchors_the_check_says_truncation_would_go_unnoticed(keyed: Any) -> None:
    rows(1)
    err = StringIO()
    call_command("verify_audit_chain", stdout=StringIO(), stderr=err)
    assert "deleting the newest rows would go unnoticed" in err.getvalue()


# --------------------------------------------------------------------------- rotation


def rotate_to_b(settings: Any) -> None:
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_KEY_ID = KEY_B, "b"
    settings.AUDIT_CHAIN_OLD_KEYS = {"a": KEY_A}


def test_after_rotation_new_rows_use_the_new_key_and_old_rows_verify_with_the_old_one(
    keyed: Any, anchor_file: Path
) -> None:
    old = rows(2)
    write_checkpoint()  # signed with key a
    rotate_to_b(keyed)
    new = rows(2)

    assert [e.key_id for e in old + new] == ["a", "a", "b", "b"]
    assert verify_chain(read_anchors(anchor_file)) == (AuditEvent.objects.count(), None)

    # Forgetting the old key makes its rows (and its anchors) unverifiable, not valid.
    keyed.AUDIT_CHAIN_OLD_KEYS = {}
    checked, broken = verify_chain()
    assert broken.event_id == old[0].pk
    assert "signed with key 'a', which is not configured" in broken.reason


def test_a_replaced_key_still_signs_during_a_rolling_restart_but_not_after_the_grace(
    keyed: Any,
) -> None:
    rows(1)
    rotate_to_b(keyed)
    rows(1)

    def old_process_writes() -> AuditEvent:
        # A process that still runs with the previous key (and knows the new one).
        with override_settings(
            AUDIT_CHAIN_KEY=KEY_A, AUDIT_CHAIN_KEY_ID="a", AUDIT_CHAIN_OLD_KEYS={"b": KEY_B}
        ):
            return record("auth.login")

    old_process_writes()
    assert verify_chain()[1] is None

    with time_machine.travel(timezone.now() + ROTATION_GRACE + timedelta(minutes=1)):
        late = old_process_writes()
    checked, broken = verify_chain()
    assert broken.event_id == late.pk
    assert broken.reason == "it is signed with 'a', which key 'b' had replaced"


# --------------------------------------------------------------------------- configuration


def test_check_deploy_warns_while_the_public_development_key_signs(settings: Any) -> None:
    settings.AUDIT_CHAIN_KEY = ""
    assert [w.id for w in check_audit_chain_key()] == ["cases.W001"]
    settings.AUDIT_CHAIN_KEY = "short"
    assert [w.id for w in check_audit_chain_key()] == ["cases.W001"]
    settings.AUDIT_CHAIN_KEY = KEY_A
    assert check_audit_chain_key() == []


def test_without_a_key_rows_are_signed_with_the_development_key(settings: Any) -> None:
    settings.AUDIT_CHAIN_KEY = ""
    (event,) = rows(1)
    assert event.key_id == audit.INSECURE_KEY_ID == "insecure-dev"
    assert verify_chain()[1] is None


@pytest.mark.parametrize(
    "value",
    ["nokey", "a:x,a:y", "cur:x", "insecure-dev:x", "bad id:x", f"{'x' * 33}:y"],
)
def test_old_keys_that_would_leave_rows_unverifiable_are_refused_at_start(value: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        parse_audit_keys(value, "cur")


def test_old_keys_are_read_as_id_colon_key() -> None:
    assert parse_audit_keys("2025:abc:def, 2024:xyz", "2026") == {"2025": "abc:def", "2024": "xyz"}
