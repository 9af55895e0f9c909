"""The action codes written and the action codes registered are the same, per stream.

The source of ``cases/``, ``disclosure/`` and ``akrites/`` is read (``ast``) for every
``<case>.log(actor, CODE, ...)`` (the timeline) and ``audit.record(CODE, ...)`` (the
audit trail). A code is a literal, a conditional between literals, or an f-string;
an f-string whose placeholder is not a literal is expanded by ``DYNAMIC`` below, which
derives the expansions from the code that decides them (the case transitions, the
advisory steps). A code built any other way fails the scan.

That every registered code is also exercised by the suite is checked at the end of a
whole run with ``--action-coverage`` (``tests/action_coverage.py``).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cases import actions, audit
from cases.models import TRANSITIONS
from cases.templatetags.portal import audit_text, timeline_text

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("cases", "disclosure", "akrites")


def _source_files() -> Iterator[Path]:
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _trees() -> Iterator[tuple[str, ast.Module]]:
    for path in _source_files():
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), filename=str(path))


# --------------------------------------------------------------------------- dynamic codes


def _transition_codes() -> set[str]:
    return {f"case.state.{name}" for name in TRANSITIONS}


def _advisory_step_codes() -> set[str]:
    """Each ``self._transition(..., action="submitted")`` of an advisory (and each
    ``self._change_step(..., action="change_approved")`` of a published one's change)."""
    found = set()
    for _, tree in _trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("_transition", "_change_step")
            ):
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        found.add(f"case.advisory.{keyword.value.value}")
    return found


# f-string template (placeholders as written) -> its expansions.
DYNAMIC: dict[str, Callable[[], set[str]]] = {
    "case.state.{name}": _transition_codes,
    "case.advisory.{action}": _advisory_step_codes,
}


class Unresolved(Exception):
    pass


def _resolve(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _resolve(node.body) | _resolve(node.orelse)
    if isinstance(node, ast.JoinedStr):
        try:
            parts = [
                _resolve(v.value) if isinstance(v, ast.FormattedValue) else _resolve(v)
                for v in node.values
            ]
        except Unresolved:
            template = "".join(
                f"{{{ast.unparse(v.value)}}}" if isinstance(v, ast.FormattedValue) else v.value
                for v in node.values
                if isinstance(v, ast.FormattedValue | ast.Constant)
            )
            if template not in DYNAMIC:
                raise Unresolved(template) from None
            return DYNAMIC[template]()
        return {"".join(p) for p in itertools.product(*parts)}
    raise Unresolved(ast.unparse(node))


def _code_argument(node: ast.Call) -> tuple[str, ast.expr] | None:
    """(stream, code expression) when ``node`` writes a timeline entry or an audit row."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = func.value.id if isinstance(func.value, ast.Name) else ""
    if func.attr == "log" and len(node.args) >= 2 and receiver not in {"logger", "logging"}:
        return "timeline", node.args[1]
    if func.attr == "record" and receiver == "audit" and node.args:
        return "audit", node.args[0]
    return None


def scan() -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """{stream: {code: [where written]}} and the writes whose code cannot be resolved."""
    written: dict[str, dict[str, list[str]]] = {"timeline": {}, "audit": {}}
    unresolved = []
    for name, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or (found := _code_argument(node)) is None:
                continue
            stream, expr = found
            where = f"{name}:{node.lineno}"
            try:
                codes = _resolve(expr)
            except Unresolved as exc:
                unresolved.append(f"{where}: {exc}")
                continue
            for code in codes:
                written[stream].setdefault(code, []).append(where)
    return written, unresolved


REGISTRIES = {"timeline": actions.timeline, "audit": actions.audit}


@pytest.fixture(scope="module")
def written() -> dict[str, dict[str, list[str]]]:
    found, unresolved = scan()
    assert not unresolved, (
        "Action codes the scan cannot read; write a literal, or add the f-string's "
        f"expansions to DYNAMIC in {Path(__file__).name}: {unresolved}"
    )
    return found


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("stream", REGISTRIES)
def test_every_code_written_in_the_source_is_registered(
    written: dict[str, dict[str, list[str]]], stream: str
) -> None:
    unregistered = {
        code: where for code, where in written[stream].items() if code not in REGISTRIES[stream]
    }
    assert not unregistered, (
        f"Register these {stream} codes with their display in the app's action_codes.py: "
        f"{unregistered}"
    )


@pytest.mark.parametrize("stream", REGISTRIES)
def test_every_registered_code_is_written_by_the_source(
    written: dict[str, dict[str, list[str]]], stream: str
) -> None:
    unwritten = sorted(set(REGISTRIES[stream]) - set(written[stream]))
    assert not unwritten, f"No service writes these registered {stream} codes: {unwritten}"


def test_the_scan_finds_the_writers_it_must_find(written: dict[str, dict[str, list[str]]]) -> None:
    # Guards the scan itself: a literal, a conditional, a dynamic family, each stream.
    assert "cases/services/reports.py" in written["timeline"]["case.opened"][0]
    assert {"case.credit.consent_given", "case.credit.consent_withdrawn"} <= set(
        written["timeline"]
    )
    assert {"case.embargo.proposal_agreed", "case.embargo.proposal_objected"} <= set(
        written["timeline"]
    )
    assert {"case.state.accept", "case.advisory.submitted"} <= set(written["timeline"])
    assert {"webhook.enabled", "webhook.disabled", "auth.login"} <= set(written["audit"])


def test_the_demo_writes_nothing_itself() -> None:
    """The demo builds through the services: no demo module logs or audits directly."""
    direct = [
        f"{name}:{node.lineno}"
        for name, tree in _trees()
        if "demo" in Path(name).name
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _code_argument(node) is not None
    ]
    assert not direct


def test_the_benchmark_loader_copies_only_registered_timeline_codes() -> None:
    """``bench/scale.py`` loads timelines with COPY, past ``Case.log``: its codes too."""
    literals = {
        node.value
        for path in (ROOT / "bench").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and actions.CODE_PATTERN.match(node.value)
        and node.value.startswith("case.")
    }
    assert "case.opened" in literals
    assert not sorted(code for code in literals if code not in actions.timeline)


@pytest.mark.parametrize("stream", REGISTRIES)
def test_every_display_reads_even_without_data(stream: str) -> None:
    registry = REGISTRIES[stream]
    for code in registry:
        text = registry.text(code, {})
        assert isinstance(text, str), code
        assert text.strip(), code


class _Entry:
    def __init__(self, action: str, data: dict[str, Any]) -> None:
        self.action, self.data = action, data


def test_timeline_text_reads_the_registered_display() -> None:
    entry = _Entry("case.state.reject", {"from": "new", "to": "rejected", "reason": "Spam"})
    assert timeline_text(entry) == "Reject: New → Rejected (reason: Spam)"
    assert timeline_text(_Entry("case.embargo.proposal_agreed", {})) == (
        "Agreed to a proposed public date"
    )


def test_an_entry_whose_code_is_no_longer_registered_still_reads() -> None:
    assert timeline_text(_Entry("case.embargo.agreed", {})) == "Embargo · agreed"
    assert audit_text(_Entry("retired.thing_done", {})) == "Retired · thing done"


def test_writing_an_unregistered_timeline_code_is_refused(case: Any, coordinator: Any) -> None:
    with pytest.raises(ValueError, match="Unregistered timeline action code 'case.made.up'"):
        case.log(coordinator, "case.made.up", {})
    assert not case.timeline.filter(action="case.made.up").exists()


def test_writing_an_unregistered_audit_code_is_refused(db: Any, coordinator: Any) -> None:
    with pytest.raises(ValueError, match="Unregistered audit action code 'made.up'"):
        audit.record("made.up", actor=coordinator)
    assert not audit.AuditEvent.objects.filter(action="made.up").exists()


def test_a_code_is_registered_once_and_namespaced() -> None:
    registry = actions.ActionRegistry("test")
    registry.register("thing.done", "Thing done")
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("thing.done", "Again")
    with pytest.raises(ValueError, match="not a namespaced"):
        registry.register("Done", "Done")
