"""The spool between the endpoint and the worker.

The endpoint answers 200 only once an event is in this table (committed). The worker moves
rows from here into issues and events and deletes them in the same transaction, so whatever
process dies, each accepted event ends up stored exactly once.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tracker.models import Project


class PendingEvent(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    # Unique per project (unique_pending_event): an SDK's retry of an event still waiting here
    # is accepted and stored once, and another project's event with that id is kept too.
    event_id = models.CharField(max_length=32)
    # The event as the SDK sent it (JSON text, validated as an object at the endpoint).
    payload = models.TextField()
    received = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "event_id"], name="unique_pending_event")
        ]

    def __str__(self) -> str:
        return self.event_id
