"""pytest hooks: is every registered action code written by the application during the run?

``tests/test_action_registry.py`` keeps the codes written in the source and the codes
registered (``cases.actions``) equal; this plugin adds the third side: each registered
code is exercised by the suite. With ``--action-coverage`` (``make test`` passes it)
every ``Case.log`` and ``audit.record`` of the run is recorded, and the run fails when a
registered code was never written. A write made by a test itself (a test calling
``case.log`` or ``audit.record`` directly) does not count: only writes by project code.

Only a run of the whole suite can answer; on part of it the report lists what that
part does not reach. Under pytest-xdist each worker sends what it saw to the
controller (``workeroutput``), which checks the union at the end.

The hooks are imported by ``tests/conftest.py``.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cases import actions

OPTION = "--action-coverage"
TESTS_DIR = Path(__file__).resolve().parent
# The functions that write a stream; the frame above theirs is the writer.
WRITERS = {"log", "record"}

_written: set[tuple[str, str]] = set()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        action="store_true",
        help="fail the run when a registered timeline or audit action code was never "
        "written by the application (meaningful on the whole suite)",
    )


@cache
def _in_tests(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(TESTS_DIR)


def _record_writes() -> None:
    check = actions.ActionRegistry.check
    if getattr(check, "records_writes", False):
        return

    def recording_check(self: actions.ActionRegistry, code: str) -> None:
        check(self, code)
        # 0: this function, 1: Case.log or audit.record, 2: whoever called it.
        writer, caller = sys._getframe(1), sys._getframe(2)
        if writer.f_code.co_name in WRITERS and not _in_tests(caller.f_code.co_filename):
            _written.add((self.stream, code))

    recording_check.records_writes = True  # type: ignore[attr-defined]
    actions.ActionRegistry.check = recording_check  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(OPTION):
        _record_writes()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.getoption(OPTION):
        return
    if hasattr(config, "workerinput"):  # an xdist worker: hand the codes to the controller
        config.workeroutput["action_codes_written"] = sorted(_written)  # type: ignore[attr-defined]
        return
    missing = [
        f"{registry.stream} {code}"
        for registry in (actions.timeline, actions.audit)
        for code in registry
        if (registry.stream, code) not in _written
    ]
    if not missing:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "action codes registered but never written by the suite", red=True)
        for line in missing:
            reporter.write_line(f"  {line}")
        reporter.write_line(
            "Exercise each through its service in a test, or unregister a code that no "
            "service writes any more (cases/README.md, 'Action codes')."
        )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: collect what a worker saw."""
    output = getattr(node, "workeroutput", {})
    _written.update((stream, code) for stream, code in output.get("action_codes_written", []))
