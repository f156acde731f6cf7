"""Settings for the benchmarks only: production settings, plus a bare page to compare against.

The product has no /_bench/ URL: only a process started with
DJANGO_SETTINGS_MODULE=benchmarks.bench_settings (gunicorn in benchmarks/throughput.py, the
in-process scripts) serves benchmarks/bench_urls.py.
"""

import os

from asana_sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

# Production defaults apply (DEBUG off, manifest static files); only what a loopback benchmark
# cannot provide is given a default here.
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-secret-key-not-for-production-0123456789")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tasklink_bench")
os.environ.setdefault("ASANA_CLIENT_ID", DEFAULT_CLIENT_ID)
os.environ.setdefault("ASANA_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings import *  # noqa: E402, F403

ROOT_URLCONF = "benchmarks.bench_urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
# collectstatic writes the manifest here, outside the working tree.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or STATIC_ROOT  # noqa: F405
# What-if runs: another session engine, e.g. django.contrib.sessions.backends.cached_db.
if os.environ.get("BENCH_SESSION_ENGINE"):
    SESSION_ENGINE = os.environ["BENCH_SESSION_ENGINE"]
