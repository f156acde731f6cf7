"""Mark the issues that already have a linked task (Issue.has_task, added by tracker 0006).

One UPDATE in SQL: at a million issues a loop over model instances would take minutes.
"""

from django.db import migrations


def mark_linked_issues(apps, schema_editor):
    issues = schema_editor.quote_name(apps.get_model("tracker", "Issue")._meta.db_table)
    links = schema_editor.quote_name(apps.get_model("integrations", "ExternalIssue")._meta.db_table)
    schema_editor.execute(
        f"UPDATE {issues} SET has_task = TRUE WHERE id IN (SELECT issue_id FROM {links})"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0006_sync_backoff_cursor_changed"),
        ("tracker", "0006_issue_has_task"),
    ]

    operations = [
        migrations.RunPython(mark_linked_issues, migrations.RunPython.noop, elidable=True),
    ]
