"""An event is stored once per issue, not once in the whole table (see README, "Ingestion beside
1,000,000 issues").

The unique index of event_id alone, a random UUID, took every stored event to a random leaf of
an index as large as the table (563 MB at 10,000,000 events): a page read from outside
shared_buffers, dirtied, and written whole to the WAL after each checkpoint, per event. Led by
the issue, an event's entry lands among its issue's, and the pages written are those of the
issues receiving events. The worker checks for an event already stored by (issue, event_id)
too, once it holds its issues' locks (ingest/store.py).

On PostgreSQL the new index is built CONCURRENTLY and then attached as the constraint, so a
team's events and issue pages are not locked out while it builds (about a minute at
10,000,000 events); hence a migration outside a transaction. The new constraint exists before
the old one is dropped: there is no moment without one.
"""

from django.db import migrations, models


class AddUniqueConstraintConcurrently(migrations.AddConstraint):
    """AddConstraint, but on PostgreSQL the unique index is built without blocking writes."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        quote = schema_editor.quote_name
        table, name = quote(model._meta.db_table), quote(self.constraint.name)
        columns = ", ".join(quote(model._meta.get_field(f).column) for f in self.constraint.fields)
        # An interrupted earlier attempt leaves an invalid index of that name behind.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({columns})")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tracker", "0007_event_fewer_indexes"),
    ]

    operations = [
        AddUniqueConstraintConcurrently(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("issue", "event_id"), name="unique_event_per_issue"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="event_id",
            field=models.CharField(max_length=32),
        ),
    ]
