"""The Celery app: `celery -A config worker --loglevel=info` (and `celery -A config beat`).

The broker is Redis (`REDIS_URL`). Without it, settings make every task run eagerly in the
calling process, so the demo and the test suite need nothing else running.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tasklink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def settle_pool_process(**kwargs) -> None:
    """Each pool process, once started, keeps Django's startup objects out of full garbage
    collections, as a gunicorn worker does (config/startup.py)."""
    from config.startup import freeze_startup_objects

    freeze_startup_objects()
