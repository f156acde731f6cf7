from __future__ import annotations

from django.contrib import admin

from ingest.models import PendingEvent


@admin.register(PendingEvent)
class PendingEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "project", "received"]
    readonly_fields = ["project", "event_id", "payload", "received"]
