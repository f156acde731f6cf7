"""Settings for the test suite: production settings with test-friendly environment defaults."""

import os

from asana_sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ASANA_CLIENT_ID", DEFAULT_CLIENT_ID)
os.environ.setdefault("ASANA_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
os.environ.setdefault("APP_BASE_URL", "http://testserver")

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tests may not share a Redis-backed cache with other runs or each other.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run in the test's own process and transaction; tests that need a real worker start
# one themselves, with its own settings.
CELERY_TASK_ALWAYS_EAGER = True
# So events go through the database spool, drained in the request (tests of the Redis queue
# set it themselves).
INGEST_QUEUE_REDIS_URL = ""
