"""A spooled event is unique per project, as a stored one is per issue (tracker 0008): another
project's event with the same id is kept too. The spool holds only what waits for a worker, so
the plain operations are quick. The new constraint comes first: none is missing meanwhile."""

from django.db import migrations, models

PER_PROJECT = models.UniqueConstraint(fields=("project", "event_id"), name="unique_pending_event")


class Migration(migrations.Migration):
    dependencies = [("ingest", "0001_initial"), ("tracker", "0008_event_unique_per_issue")]

    operations = [
        migrations.AddConstraint("pendingevent", PER_PROJECT),
        migrations.AlterField("pendingevent", "event_id", models.CharField(max_length=32)),
    ]
