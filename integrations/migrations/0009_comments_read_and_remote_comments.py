"""The reconciliation reads the comments of linked tasks that changed (issue 16's last gap).

Existing mappings start with their comments read up to now: what was shown (or not) before
stays as it was, and the first reconciliation after this does not read every task's history.
The comments of the last day already shown from webhook deliveries are recorded as known (their
old markers expire within a week), so neither path shows them again."""

from datetime import timedelta

import django.utils.timezone
from django.db import migrations, models


def start_from_now(apps, schema_editor):
    now = django.utils.timezone.now()
    ExternalIssue = apps.get_model("integrations", "ExternalIssue")
    ExternalIssue.objects.filter(comments_read_at=None).update(comments_read_at=now)
    Activity = apps.get_model("tracker", "Activity")
    RemoteComment = apps.get_model("integrations", "RemoteComment")
    shown = Activity.objects.filter(
        date_added__gte=now - timedelta(days=1), data__remote_action="commented on"
    ).values_list("data", flat=True)
    RemoteComment.objects.bulk_create(
        [
            RemoteComment(provider=data.get("provider") or "asana", external_id=data["story"])
            for data in shown
            if data.get("story")
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0008_rules_claims_and_regression_notices"),
        ("tracker", "0007_event_fewer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="externalissue",
            name="comments_read_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="RemoteComment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("provider", models.CharField(max_length=30)),
                ("external_id", models.CharField(max_length=64, verbose_name="comment id")),
                ("task", models.CharField(blank=True, max_length=64, verbose_name="task id")),
                ("written_by_tasklink", models.BooleanField(default=False)),
                ("date_added", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("provider", "external_id"), name="unique_comment"
                    )
                ],
            },
        ),
        migrations.RunPython(start_from_now, migrations.RunPython.noop),
    ]
