"""The case page's panels, rendered once per change of the case.

An ordinary case page costs ~50 queries and most of its time in rendering panels
(vulnerabilities, vendor statuses, embargo and release, comments, participants,
timeline). They change far less often than they are read, so the page keeps each
rendered fragment in the cache, under a key that cannot outlive what it shows:

- **The case's change stamp.** Database triggers (installed here, on every ``migrate``,
  PostgreSQL only) append a ``CaseChange`` row whenever a row of the case or of any
  table that points to it (directly or through a vulnerability, embargo, release plan,
  advisory, report or participant) is inserted, updated or deleted, whoever writes it:
  services, ``QuerySet.update``, bulk writes, the admin, a migration. The stamp is the
  count and sum of the case's change ids: any committed write changes it, so a fragment
  rendered before a change is never found after it. The tables are found by looking
  at the models (``watched_tables``), so a model added later is covered without a line
  here; ``tests/cases/test_page_cache.py`` holds that every such model is watched.
- **The viewer.** The key holds the user, their roles on the case and the organisations
  through which they take part (what the access module decides from), their time zone,
  their CSRF secret (the fragments hold forms), the current minute (relative dates and
  deadlines move with time) and the page's variant (``?all=comments``).
- **The code.** A digest of the templates the page renders, so a deploy never serves a
  fragment of the previous version; and ``CASE_PAGE_CACHE_SECONDS`` (300) bounds the
  life of any fragment (a renamed organisation or user shows within five minutes).

Left out of the fragments (rendered on every view): the mute button (per user, not a
case row), the access record panel (every view writes it) and messages. On SQLite (the
demo) nothing is cached: the page renders in full. After restoring a database backup,
clear the cache (the ids of the change rows start again from the backup's).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import connections, models
from django.http import HttpRequest
from django.middleware.csrf import get_token

from cases.access import CaseAccess
from cases.models import Case, CaseChange
from cases.templatetags.portal import user_zone

# Writes to these never change a cached fragment: the access record panel is rendered on
# every view (which writes it), the search documents are derived, notifications and
# mutes are not on the cached panels, and the change rows are the stamp itself.
UNWATCHED = frozenset(
    {
        "cases.CaseAccessRecord",
        "cases.CaseChange",
        "cases.CaseSearchDocument",
        "notifications.Notification",
        "notifications.WebhookDelivery",
        "notifications.CaseMute",
    }
)
# Columns whose updates alone change no cached fragment: a participant's last visit
# (written on every view of an embargoed case) shows only on the access record panel.
UNWATCHED_COLUMNS = {"cases.Participant": frozenset({"last_seen_at"})}

FUNCTION = "akrites_case_changed"
TRIGGER = "akrites_case_change"


@dataclass(frozen=True)
class Watch:
    """A table whose rows belong to a case: its column holding the case id, or the
    column holding a parent's id and the parent's table and case column."""

    label: str
    table: str
    column: str
    parent_table: str = ""
    parent_column: str = ""
    update_columns: tuple[str, ...] = ()


def _case_column(model: type[models.Model]) -> str | None:
    """The column of ``model`` that names its case, when it has exactly one."""
    if model is Case:
        return "id"
    fks = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is Case
    ]
    return fks[0].column if len(fks) == 1 else None


def watched_tables() -> list[Watch]:
    """Every table whose rows belong to a case, directly or through one parent."""
    every = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label not in UNWATCHED
    ]
    direct = {m: col for m in every if (col := _case_column(m))}
    found: list[Watch] = []
    for model in every:
        skip = UNWATCHED_COLUMNS.get(model._meta.label, frozenset())
        columns = tuple(
            f.column
            for f in model._meta.concrete_fields
            if f.column not in skip and not f.primary_key
        )
        if model in direct:
            found.append(
                Watch(model._meta.label, model._meta.db_table, direct[model], "", "", columns)
            )
            continue
        for field in model._meta.concrete_fields:
            parent = field.related_model if isinstance(field, models.ForeignKey) else None
            if isinstance(parent, type) and parent in direct and parent is not Case:
                found.append(
                    Watch(
                        model._meta.label,
                        model._meta.db_table,
                        field.column,
                        parent._meta.db_table,
                        direct[parent],
                        columns,
                    )
                )
                break
    return found


_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION __FUNCTION__() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_ref bigint;
  old_ref bigint;
  new_case bigint;
  old_case bigint;
BEGIN
  -- TG_ARGV: the row's column naming its case (or its parent), the parent's table and
  -- the parent's case column ('' when the row names its case itself).
  IF TG_OP <> 'DELETE' THEN new_ref := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint; END IF;
  IF TG_OP <> 'INSERT' THEN old_ref := (to_jsonb(OLD) ->> TG_ARGV[0])::bigint; END IF;
  IF TG_ARGV[1] = '' THEN
    new_case := new_ref;
    old_case := old_ref;
  ELSE
    IF new_ref IS NOT NULL THEN
      EXECUTE format('SELECT %I FROM %I WHERE id = $1', TG_ARGV[2], TG_ARGV[1])
        INTO new_case USING new_ref;
    END IF;
    IF old_ref IS NOT NULL THEN
      EXECUTE format('SELECT %I FROM %I WHERE id = $1', TG_ARGV[2], TG_ARGV[1])
        INTO old_case USING old_ref;
    END IF;
  END IF;
  IF new_case IS NOT NULL THEN
    INSERT INTO __CHANGES__ (case_id) VALUES (new_case);
  END IF;
  IF old_case IS NOT NULL AND old_case IS DISTINCT FROM new_case THEN
    INSERT INTO __CHANGES__ (case_id) VALUES (old_case);
  END IF;
  RETURN NULL;
END
$$;
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def trigger_sql() -> str:
    """The function and one trigger per watched table (drop and create: idempotent)."""
    function = _FUNCTION_SQL.replace("__FUNCTION__", FUNCTION)
    parts = [function.replace("__CHANGES__", _quote(CaseChange._meta.db_table))]
    for w in watched_tables():
        updates = ", ".join(_quote(c) for c in w.update_columns)
        args = ", ".join(_literal(a) for a in (w.column, w.parent_table, w.parent_column))
        parts.append(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {_quote(w.table)};")
        parts.append(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF {updates}"
            f" ON {_quote(w.table)} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}({args});"
        )
    return "\n".join(parts)


def install_triggers(using: str = "default") -> bool:
    """Install (or bring up to date) the change triggers; False when there is nothing
    to do (not PostgreSQL, or the installed ones are these: their digest is the
    function's comment, so a repeated ``migrate`` or test flush costs one query)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    sql = trigger_sql()
    digest = hashlib.sha256(sql.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p WHERE p.proname = %s",
            [FUNCTION],
        )
        row = cursor.fetchone()
        if row is not None and row[0] == digest:
            return False
        cursor.execute(sql)
        cursor.execute(f"COMMENT ON FUNCTION {FUNCTION}() IS {_literal(digest)}")
    return True


def install_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver (connected in ``CasesConfig.ready``)."""
    install_triggers(using)


def prune(older_than_seconds: int = 3600) -> int:
    """Delete change rows older than an hour that are not their case's newest (the
    stamp changes, which only costs each cached page one new rendering)."""
    table = CaseChange._meta.db_table
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} c WHERE c.at <= clock_timestamp() - make_interval(secs => %s)"  # noqa: S608
            f" AND EXISTS (SELECT 1 FROM {table} n WHERE n.case_id = c.case_id AND n.id > c.id)",
            [older_than_seconds],
        )
        return cursor.rowcount


# --------------------------------------------------------------------------- the page


@cache
def _templates_digest() -> str:
    """A digest of the templates (read once per process): a new deploy, new keys."""
    digest = hashlib.sha256()
    roots = cast(Iterable[str | Path], settings.TEMPLATES[0]["DIRS"])
    for root in roots:
        for path in sorted(Path(root).rglob("*.html")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def stamp(case: Case) -> tuple[int, int]:
    """The case's change stamp: (count, sum) of its change ids (one index-only scan)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(id), 0) FROM {CaseChange._meta.db_table}"  # noqa: S608
            " WHERE case_id = %s",
            [case.pk],
        )
        count, total = cursor.fetchone()
    return int(count), int(total)


class CasePageCache:
    """The cached fragments of one view of one case page: ``get`` what is there, render
    and ``put`` the rest. Disabled (everything rendered) on SQLite, when
    ``CASE_PAGE_CACHE_SECONDS`` is 0, and for pages that carry a submitted form."""

    def __init__(
        self, request: HttpRequest, case: Case, case_access: CaseAccess, *, enabled: bool = True
    ) -> None:
        self.seconds = int(settings.CASE_PAGE_CACHE_SECONDS)
        self.enabled = (
            enabled and self.seconds > 0 and connections["default"].vendor == "postgresql"
        )
        self.found: dict[str, str] = {}
        self._prefix = ""
        if not self.enabled:
            return
        user = request.user
        get_token(request)  # the fragments' forms need the secret to exist
        parts = [
            _templates_digest(),
            case.pk,
            stamp(case),
            user.pk,
            sorted(case_access.roles),
            sorted(case_access.organisation_ids),
            str(user_zone(user)),
            hashlib.sha256(str(request.META.get("CSRF_COOKIE", "")).encode()).hexdigest(),
            int(time.time() // 60),
            request.GET.get("all", ""),
        ]
        self._prefix = hashlib.sha256(repr(parts).encode()).hexdigest()

    def key(self, name: str) -> str:
        return f"akrites:casepage:{self._prefix}:{name}"

    def fetch(self, names: Iterable[str]) -> bool:
        """Read the named fragments; True when every one of them was there."""
        names = list(names)
        if not self.enabled:
            return False
        try:
            got = django_cache.get_many([self.key(n) for n in names])
        except Exception:  # noqa: BLE001 - a cache that does not answer: render in full
            return False
        self.found = {n: got[self.key(n)] for n in names if self.key(n) in got}
        return len(self.found) == len(names)

    def get(self, name: str) -> str | None:
        return self.found.get(name)

    def put(self, name: str, html: str) -> None:
        if not self.enabled:
            return
        try:
            django_cache.set(self.key(name), html, self.seconds)
        except Exception:  # noqa: BLE001 - as above: the page was rendered anyway
            return
