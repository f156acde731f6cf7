"""Two fewer indexes on the event table, which every stored event writes to (see README,
"Ingestion beside 1,000,000 issues"): the issue foreign key's own index (event_issue_recent
begins with the issue) and, on PostgreSQL, the varchar_pattern_ops twin Django creates beside
the unique index of event_id, for LIKE 'prefix%' searches nothing makes. Both take a write to
a random page of a multi-million-row index per event.

Only the indexes are dropped (instant at any size): a plain AlterField would also drop and
re-add the foreign key, which checks every event again (minutes at 10,000,000 events).
"""

import django.db.models.deletion
from django.db import migrations, models


def index_names(apps, schema_editor) -> list[str]:
    table = apps.get_model("tracker", "Event")._meta.db_table
    names = [schema_editor._create_index_name(table, ["issue_id"])]
    if schema_editor.connection.vendor == "postgresql":
        names.append(schema_editor._create_index_name(table, ["event_id"], suffix="_like"))
    return names


def drop_indexes(apps, schema_editor):
    for name in index_names(apps, schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    model = apps.get_model("tracker", "Event")
    table = schema_editor.quote_name(model._meta.db_table)
    issue_index, *like_index = index_names(apps, schema_editor)
    schema_editor.execute(
        f"CREATE INDEX {schema_editor.quote_name(issue_index)} ON {table} (issue_id)"
    )
    if like_index:
        field = model._meta.get_field("event_id")
        schema_editor.execute(schema_editor._create_like_index_sql(model, field))


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0006_issue_has_task"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="issue",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="tracker.issue",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
