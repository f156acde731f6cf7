"""A Celery worker knows every automation task when it starts: a message for a task it does not
know is discarded ("Received unregistered task"), and the rule never fires."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What `celery -A config worker` imports before it consumes: the app, then its task modules.
LIST_TASKS = (
    "import json; from config.celery import app; app.loader.import_default_modules(); "
    "print(json.dumps(sorted(app.tasks)))"
)


def test_a_fresh_worker_registers_the_rules_tasks():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true"}
    output = subprocess.run(
        [sys.executable, "-c", LIST_TASKS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    registered = set(json.loads(output.strip().splitlines()[-1]))
    for name in ("fire_rule", "follow_regression", "notify_task", "sync_resolution", "bulk_create"):
        assert f"integrations.rules.tasks.{name}" in registered
