"""A real Celery worker (and what it needs) for the tests that kill one: PostgreSQL, Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def redis_url_or_skip() -> str:
    """The Redis to use; skipped only outside CI when there is none to reach."""
    import redis

    url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the worker tests on Redis, unreachable at {url}: {error}")
        pytest.skip(f"needs Redis ({url} unreachable)")
    return url


def database_url() -> str:
    """The test database, as the worker process must reach it."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class Worker:
    """`celery -A config worker` in its own process group, so SIGKILL reaches its children."""

    def __init__(self, redis_url: str, queue: str, log_path: Path, ingest_queue: str = "redis"):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": queue,
            "INGEST_QUEUE": ingest_queue,
        }
        self.queue, self.log_path, self.process = queue, log_path, None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=info",
                "--concurrency=2", "--without-mingle", "--without-gossip",
                "-n", f"{self.queue}@%h",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no cleanup at all."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)
