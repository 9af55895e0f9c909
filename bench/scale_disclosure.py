"""Disclosure and notification rows for the scale data set (see bench/scale.py).

Each step takes the ``ScaleSeeder`` after the cases exist and COPYs the rows of one
app; a step whose models are not installed is skipped.
"""

from __future__ import annotations

from typing import Any


def steps() -> list[Any]:
    return []
