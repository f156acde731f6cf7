"""Trigram indexes for the issue list's search, on PostgreSQL when pg_trgm can be had.

The search filters with `title__icontains` / `culprit__icontains`, which Django writes on
PostgreSQL as `UPPER("title"::text) LIKE UPPER('%…%')`: a GIN index over that same expression
with gin_trgm_ops turns the scan of every issue into an index lookup (for queries of three
characters or more). SQLite has no such index: there this migration does nothing, and so does
it on a PostgreSQL where the extension is not available or may not be created. The indexes are
not in Issue.Meta.indexes because the model's state must hold on SQLite too.
"""

from django.db import migrations, transaction

INDEXES = {"issue_title_trgm": "title", "issue_culprit_trgm": "culprit"}


def has_trigrams(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return True
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if not cursor.fetchone():
            return False
        try:
            # A savepoint: without the privilege to create it, the migration goes on.
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:
            return False
    return True


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or not has_trigrams(connection):
        return
    table = schema_editor.quote_name(apps.get_model("tracker", "Issue")._meta.db_table)
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {table} "
            f"USING gin ((UPPER({schema_editor.quote_name(column)}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
