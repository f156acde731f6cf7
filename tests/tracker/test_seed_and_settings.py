from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from tracker.models import Event, Issue, Organization

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seed_demo_runs_twice_and_creates_a_usable_demo(settings):
    settings.DEBUG = True  # as make demo runs it
    call_command("seed_demo")
    call_command("seed_demo")
    acme = Organization.objects.get(name="Acme")
    assert acme.projects.count() == 2
    assert Issue.objects.filter(project__organization=acme).count() >= 12
    assert Event.objects.filter(frames__len__gt=0).exists() or Event.objects.exists()
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="demo", password="demo") is not None
    assert authenticate(request, username="demo@acme.test", password="demo") is not None


def run_settings(code: str = "import django; django.setup()", **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_reject_a_malformed_database_url():
    result = run_settings(DJANGO_DEBUG="true", DATABASE_URL="not-a-database-url")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_settings_reject_a_debug_value_that_is_not_a_boolean():
    result = run_settings(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_settings_require_a_secret_key_when_debug_is_off():
    result = run_settings(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_debug_off_and_secrets_set():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **clean,
            "DJANGO_DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
            "APP_BASE_URL": "https://tasklink.example.com",
            # Production shares rate limits and caches between workers through Redis.
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "ASANA_CLIENT_ID": "id",
            "ASANA_CLIENT_SECRET": "secret",
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout


# Django's startup objects: about 100,000 (config/startup.py); a process without the freeze
# has none frozen.
FROZEN_AT_LEAST = 50_000


def test_a_wsgi_worker_keeps_its_startup_objects_out_of_full_collections():
    code = "import gc, config.wsgi; print(gc.get_freeze_count())"
    result = run_settings(code, DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= FROZEN_AT_LEAST


def test_a_celery_pool_process_keeps_its_startup_objects_out_of_full_collections():
    code = (
        "import gc, django; django.setup(); import config.celery;"
        " from celery.signals import worker_process_init;"
        " worker_process_init.send(sender=None); print(gc.get_freeze_count())"
    )
    result = run_settings(code, DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= FROZEN_AT_LEAST
