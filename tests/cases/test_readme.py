"""cases/README.md states the access rules and the life cycle; they must match the code."""

from __future__ import annotations

import re
from pathlib import Path

from cases.access import ROLE_ACTIONS
from cases.models import TRANSITIONS

README = Path(__file__).resolve().parents[2] / "cases" / "README.md"


def table_after(header_start: str) -> list[list[str]]:
    """The rows (cells stripped of backticks) of the Markdown table whose header starts so."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def test_the_readme_role_by_action_table_is_the_one_in_the_code() -> None:
    roles = ["coordinator", "maintainer", "reporter", "partner", "downstream"]
    in_readme = {
        role: {row[0] for row in table_after("| action |") if row[1 + i] == "yes"}
        for i, role in enumerate(roles)
    }
    assert in_readme == {role: set(actions) for role, actions in ROLE_ACTIONS.items()}


def test_the_readme_transition_table_is_the_one_in_the_code() -> None:
    in_readme = {
        re.sub(r" \(.*\)$", "", row[0]).strip("`"): (
            {state.strip() for state in row[1].split(",")},
            row[2],
        )
        for row in table_after("| transition |")
    }
    assert in_readme == {
        name: (set(sources), target) for name, (sources, target) in TRANSITIONS.items()
    }
