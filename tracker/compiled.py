"""Querysets compiled to SQL once per process, run with the real ids swapped in.

The ORM takes milliseconds of CPU to compile a query with subqueries, on every request that
makes it; the database answers these in a fraction of that. So the statements of the pages
every request makes (the issue page's version, the getting-started checklist) are compiled
once with stand-in ids and run with the person's and the issue's ids in their place. Access
rules stay those of the querysets they are compiled from.

On PostgreSQL they also run as prepared statements (prepared_rows): planning them took the
database longer than running them, on every request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
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
    return prepared_rows(sql, with_ids(params, user_id), using)


def prepared_rows(sql: str, params: list[Any], using: str = "default") -> list[tuple[Any, ...]]:
    """The rows of `sql`, run as a prepared statement on PostgreSQL (prepared_cursor).

    A prepared statement outlives what it was planned for: a migration run by another process
    (a deploy's, while this worker still serves) that changes the type of a column it returns
    makes PostgreSQL refuse it from then on, and a pooler may lose it. The connection is then
    closed and the statement run once more on a new one, prepared afresh; inside a transaction
    the error stands, as the transaction is lost anyway."""
    try:
        return _rows(sql, params, using)
    except DatabaseError as error:
        connection = connections[using]
        if connection.in_atomic_block or not _prepared_statement_lost(error):
            raise
        connection.close()
        return _rows(sql, params, using)


def _rows(sql: str, params: list[Any], using: str) -> list[tuple[Any, ...]]:
    with prepared_cursor(using) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# PostgreSQL's answers for a prepared statement it no longer has, or no longer runs.
_LOST_PREPARED_STATEMENT = "26000"  # invalid_sql_statement_name
_CHANGED_RESULT_TYPE = ("0A000", "cached plan must not change result type")


def _prepared_statement_lost(error: DatabaseError) -> bool:
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == _LOST_PREPARED_STATEMENT:
        return True
    code, message = _CHANGED_RESULT_TYPE
    return sqlstate == code and message in str(cause)


@contextmanager
def prepared_cursor(using: str = "default") -> Iterator[CursorWrapper]:
    """A cursor whose statements PostgreSQL prepares: planned once per connection, not on each
    execution (psycopg keeps the connection's prepared statements by their SQL). Django's own
    cursors bind on the client and are never prepared; this one binds on the server. With
    DATABASE_PREPARED_STATEMENTS off (config/env.py), and on SQLite, it is Django's cursor.
    Queries run through it are logged and wrapped as any other (CaptureQueriesContext)."""
    connection = connections[using]
    options = connection.settings_dict["OPTIONS"]
    if connection.vendor != "postgresql" or options.get("prepare_threshold") is None:
        with connection.cursor() as cursor:
            yield cursor
        return
    # Imported here: the backend module imports psycopg, which SQLite never needs.
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What Django's own connection.cursor() does before it makes a cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    wrapper = _PreparedDebugWrapper if connection.queries_logged else CursorWrapper
    with wrapper(raw, connection) as cursor:
        yield cursor


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs the statement as the client would compose it: Django reads the text of the last
    query from psycopg, which keeps none for a prepared statement."""

    def execute(self, sql: str, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)
