"""The one event stream (cases/events.py): what it carries and who may emit what.

Every name passed to ``events.emit`` (or handed to a transition as ``event=``) is a
kind the notification layer knows, and every event kind is emitted somewhere: a name
cannot drift between the code that announces a change and the table that says who
hears it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from cases import events
from disclosure.notifications.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
# Written by the webhook code itself, about a subscription rather than a change.
NOT_EVENTS = {"webhook.disabled", "webhook.test"}


def emitted_names() -> set[str]:
    names: set[str] = set()
    for path in [*ROOT.joinpath("cases").rglob("*.py"), *ROOT.joinpath("disclosure").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_emit = isinstance(func, ast.Attribute) and func.attr == "emit"
            if is_emit and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
            for keyword in node.keywords:
                if keyword.arg == "event" and isinstance(keyword.value, ast.Constant):
                    names.add(keyword.value.value)
    return names


def test_every_emitted_event_is_a_registered_kind_and_every_event_kind_is_emitted() -> None:
    registered = {code for code, kind in KINDS.items() if not kind.deadline} - NOT_EVENTS

    assert emitted_names() == registered


def test_the_notification_layer_listens_to_the_stream() -> None:
    from disclosure.notifications.services import record_event

    assert record_event in events._handlers


def test_an_event_reaches_every_subscriber_with_its_ids_and_without_nones(
    request: pytest.FixtureRequest,
) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []

    def listen(name: str, **ids: Any) -> None:
        heard.append((name, ids))

    events.subscribe(listen)
    request.addfinalizer(lambda: events.unsubscribe(listen))

    events.emit("no.such.event", case_id=7, transition="accept", actor_id=None)

    assert heard == [("no.such.event", {"case_id": 7, "transition": "accept"})]


@pytest.mark.parametrize("value", ["accept", 7, None])
def test_ids_and_short_codes_are_accepted(value: Any) -> None:
    events.emit("no.such.event", case_id=value)


@pytest.mark.parametrize(
    "value", ["the exploit works by", "x" * 61, {"title": "secret"}, ["a"], 1.5, True]
)
def test_anything_but_an_id_or_a_code_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        events.emit("no.such.event", case_id=value)
