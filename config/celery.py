"""The Celery app: `celery -A config worker --loglevel=info` (and `celery -A config beat`).

The broker is Redis (`REDIS_URL`). Without it, settings make every task run eagerly in the
calling process, so the demo and the test suite need nothing else running.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tasklink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
