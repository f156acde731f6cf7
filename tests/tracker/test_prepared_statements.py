"""The pages' hot statements are prepared on PostgreSQL (tracker/compiled.py): planned once per
connection, not on each request; a pooler that cannot keep them turns that off."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.env import env_database
from tests.support import require_postgresql

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tasklink"


def test_postgresql_connections_prepare_the_statements_asked_for(monkeypatch):
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    monkeypatch.setenv("TEST_DATABASE_URL", POSTGRES_URL)
    assert env_database("TEST_DATABASE_URL", "")["OPTIONS"]["prepare_threshold"] == 0


def test_prepared_statements_can_be_turned_off_for_a_pooler(monkeypatch):
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "false")
    monkeypatch.setenv("TEST_DATABASE_URL", POSTGRES_URL)
    assert env_database("TEST_DATABASE_URL", "")["OPTIONS"]["prepare_threshold"] is None


def test_sqlite_has_no_prepared_statement_option(monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", "sqlite:///tmp.sqlite3")
    assert "prepare_threshold" not in env_database("TEST_DATABASE_URL", "")["OPTIONS"]


def prepared_on_issues() -> list[tuple[str, int]]:
    """The connection's prepared statements that read the issue table, with how many times
    PostgreSQL ran each with a generic plan or planned it anew (generic + custom)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%tracker_issue%"],
        )
        return cursor.fetchall()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_issue_page_statement_is_prepared_once_and_reused(owner_client, issue):
    require_postgresql("prepared statements")
    url = reverse("issue_detail", args=[issue.pk])
    assert owner_client.get(url).status_code == 200
    before = prepared_on_issues()
    assert before, "the issue page's statement is prepared"
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(url).status_code == 200
        # Still logged as any query (query-count tests see it), with its parameters filled in.
        assert any(f"= {issue.pk}" in query["sql"] for query in queries)
    after = prepared_on_issues()
    assert [statement for statement, _ in after] == [statement for statement, _ in before]
    assert sum(runs for _, runs in after) == sum(runs for _, runs in before) + 3


@contextmanager
def column_type_changed_by_another_process(table: str, column: str, new_type: str):
    """A migration run elsewhere (a deploy's, while this worker still serves) changes the type
    of a column the prepared statements return; put back after."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = %s",
            [table, column],
        )
        (old_type,) = cursor.fetchone()
    settings = connection.get_connection_params()
    settings.pop("cursor_factory", None)
    with psycopg.connect(**settings, autocommit=True) as other:
        other.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {new_type}")
        try:
            yield
        finally:
            other.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {old_type}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_migration_by_another_process_does_not_break_the_page(owner, issue):
    require_postgresql("prepared statements")
    client = Client()
    client.force_login(owner)
    url = reverse("issue_detail", args=[issue.pk])
    assert client.get(url).status_code == 200
    assert prepared_on_issues()
    # PostgreSQL refuses to run a prepared statement whose result's type changed ("cached
    # plan must not change result type"): the worker starts a new connection and goes on.
    with column_type_changed_by_another_process("tracker_issue", "title", "text"):
        response = client.get(url)
        assert response.status_code == 200
        assert issue.title in response.content.decode()
        assert client.get(url).status_code == 200
