"""Bulk loading with PostgreSQL COPY, driven by the models' own metadata.

Rows are tuples for the columns a caller names; every other column gets the
model field's default (or NULL), so a column another app adds later with a
default does not break the loader. Primary keys are allocated here, up front, so
rows can point at each other without a round trip per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, models


def _db_value(field: models.Field, value: Any) -> Any:
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value)
    return value


def _default(field: models.Field) -> Any:
    if field.has_default():
        return _db_value(field, field.get_default())
    if field.null:
        return None
    if isinstance(field, (models.CharField, models.TextField)) and field.blank:
        return ""
    raise ValueError(
        f"{field.model._meta.label}.{field.name} has no default: name it in the COPY columns"
    )


def _table_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


class Loader:
    """Allocates ids and COPYs rows into one model's table, in the current transaction."""

    def __init__(self) -> None:
        self._next_id: dict[type[models.Model], int] = {}
        self.counts: dict[str, int] = {}

    def ids(self, model: type[models.Model], n: int) -> range:
        """Reserve ``n`` primary keys after the largest one in the table."""
        if model not in self._next_id:
            table = model._meta.db_table
            pk = model._meta.pk.column
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) + 1 FROM "{table}"')  # noqa: S608
                self._next_id[model] = cursor.fetchone()[0]
        start = self._next_id[model]
        self._next_id[model] = start + n
        return range(start, start + n)

    def copy(self, model: type[models.Model], columns: list[str], rows: Iterable[tuple]) -> int:
        # Only the columns the table has: a field whose migration is not written or not
        # applied yet (work in progress in the same checkout) is left out, not an error.
        present = _table_columns(model._meta.db_table)
        fields = {
            f.column: f
            for f in model._meta.local_concrete_fields
            if f.column in present or f.column in columns
        }
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{model._meta.label} has no columns {sorted(unknown)}")
        extra = [c for c in fields if c not in columns]
        tail = tuple(_default(fields[c]) for c in extra)
        names = ", ".join(f'"{c}"' for c in [*columns, *extra])
        n = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row + tail)
                    n += 1
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + n
        return n

    def reset_sequences(self) -> None:
        """Move every touched identity sequence past the ids used here."""
        with connection.cursor() as cursor:
            for model in self._next_id:
                table, pk = model._meta.db_table, model._meta.pk.column
                # Table and column names come from the models, never from input.
                latest = f'(SELECT COALESCE(MAX("{pk}"), 1) FROM "{table}")'  # noqa: S608
                query = f"SELECT setval(pg_get_serial_sequence(%s, %s), {latest})"
                cursor.execute(query, [table, pk])
