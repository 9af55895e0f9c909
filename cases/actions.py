"""The registries of action codes: one for the case timeline, one for the audit trail.

Every code written to a stream is registered here once, with how it reads (pretix's
``logentry_display``). ``Case.log`` and ``audit.record`` refuse a code that is not
registered (``ValueError``), and ``tests/test_action_registry.py`` keeps the codes
written in the source and the codes registered equal, and every code exercised by
the suite.

Each app registers its own codes in its ``action_codes.py``, imported by its
``AppConfig.ready()`` (so the registries are full before any request, command or
task runs). This module sits below every app and imports nothing of the project.

A display is a string, or a function of the entry's ``data`` returning one; it must
cope with keys missing from older rows. Displays are shown to everyone who may read
the entry: they never add text a participant typed (reasons, notes) unless the entry
showed it before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

# Namespaced, lower case: "case.embargo.extended", "auth.2fa.enrolled".
CODE_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")

Display = str | Callable[[Mapping[str, Any]], str]


class Logged(Protocol):
    """A row of either stream: ``TimelineEntry`` or ``AuditEvent``."""

    action: str
    data: Any


class ActionRegistry:
    def __init__(self, stream: str) -> None:
        self.stream = stream
        self._displays: dict[str, Display] = {}

    def register(self, code: str, display: Display) -> None:
        if not CODE_PATTERN.match(code):
            raise ValueError(f"{code!r} is not a namespaced action code (a.b.c).")
        if code in self._displays:
            raise ValueError(f"The {self.stream} action {code!r} is registered twice.")
        self._displays[code] = display

    def __contains__(self, code: object) -> bool:
        return code in self._displays

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._displays))

    def __len__(self) -> int:
        return len(self._displays)

    def check(self, code: str) -> None:
        """Refuse a code nobody registered (called by the writers of the stream)."""
        if code not in self._displays:
            raise ValueError(
                f"Unregistered {self.stream} action code {code!r}: register it with its "
                "display in the app's action_codes.py (cases/README.md, 'Action codes')."
            )

    def text(self, code: str, data: Mapping[str, Any] | None = None) -> str:
        """One readable line for ``code`` with ``data``."""
        display = self._displays.get(code)
        if display is None:
            # Rows written before a code was renamed or retired still read.
            return fallback_text(code)
        if isinstance(display, str):
            return display
        return display(data or {})

    def display(self, entry: Logged) -> str:
        return self.text(entry.action, entry.data)


def fallback_text(code: str) -> str:
    """``case.embargo.proposal_agreed`` -> "Embargo · proposal agreed"."""
    parts = code.removeprefix("case.").split(".")
    return " · ".join(p.replace("_", " ") for p in parts).capitalize()


timeline = ActionRegistry("timeline")
audit = ActionRegistry("audit")
