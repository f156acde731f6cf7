"""Querysets compiled to SQL once per process, run with the real ids swapped in.

The ORM takes milliseconds of CPU to compile a query with subqueries, on every request that
makes it; the database answers these in a fraction of that. So the statements of the pages
every request makes (the issue page's version, the getting-started checklist) are compiled
once with stand-in ids and run with the person's and the issue's ids in their place. Access
rules stay those of the querysets they are compiled from.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Stand-ins no real row has (ids are positive).
USER_MARK, ISSUE_MARK = -7_340_011, -7_340_013


def compiled(query: QuerySet[Any], *marks: int) -> tuple[str, tuple[Any, ...]]:
    """The query's SQL and parameters; each of `marks` must reach the parameters."""
    sql, params = query.query.sql_with_params()
    assert all(mark in params for mark in marks), "the stand-ins must reach the SQL"
    return sql, tuple(params)


def with_ids(params: tuple[Any, ...], user_id: int, issue_id: int | None = None) -> list[Any]:
    ids = {USER_MARK: user_id, ISSUE_MARK: issue_id}
    return [ids.get(param, param) for param in params]


def fetch(
    statement: tuple[str, tuple[Any, ...]], user_id: int, using: str = "default"
) -> list[tuple[Any, ...]]:
    """The rows of a statement compiled for the person USER_MARK stands for."""
    sql, params = statement
    with connections[using].cursor() as cursor:
        cursor.execute(sql, with_ids(params, user_id))
        return cursor.fetchall()
