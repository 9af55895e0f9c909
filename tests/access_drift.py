"""``assert_no_access_drift()``: memberships, groups and grants agree (cases/access_check.py).

Call it at the end of every test that adds or removes members, participants or
organisations; it fails with one readable line per drift item.
"""

from __future__ import annotations

from cases import access_check


def assert_no_access_drift() -> None:
    drift = access_check.find_drift()
    names = access_check.names_for(drift)
    assert not drift, "access drift:\n  " + "\n  ".join(d.describe(names) for d in drift)
