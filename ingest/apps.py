from __future__ import annotations

from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "Ingestion"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from ingest import tasks  # noqa: F401  (registers the worker-ready drain)
        from ingest.auth import forget_key
        from tracker.models import ProjectKey

        post_save.connect(forget_key, sender=ProjectKey, dispatch_uid="ingest_forget_key")
        post_delete.connect(forget_key, sender=ProjectKey, dispatch_uid="ingest_forget_key")
