"""Models from rows read with a plain cursor, for statements compiled once (the issue page's).

RawQuerySet does the same from a cursor's column names, at about a third of a millisecond of
CPU per statement (its column mapping and per-row machinery): on the hottest page, more than
the rest of the statement's Python side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)


def from_row(model: type[M], attnames: Sequence[str], values: Sequence[Any]) -> M:
    """An instance of `model` from `values` of its columns `attnames` (in the model's field
    order), converted as the ORM converts them (e.g. SQLite's timestamps made aware); its
    other columns are deferred (read if asked)."""
    alias = model._default_manager.db
    connection = connections[alias]
    converted = []
    for value, (column, converters) in zip(
        values, _converters(model, tuple(attnames)), strict=True
    ):
        for convert in converters:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(alias, attnames, converted)


@cache
def _converters(
    model: type[Model], attnames: tuple[str, ...]
) -> list[tuple[Col, list[Callable[..., Any]]]]:
    connection = connections[model._default_manager.db]
    fields = [field for field in model._meta.concrete_fields if field.attname in attnames]
    assert [field.attname for field in fields] == list(attnames), "columns in model order"
    columns = [field.get_col(model._meta.db_table) for field in fields]
    return [
        (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        for column in columns
    ]
