"""What the ingestion benchmarks share: envelopes built by sentry-sdk itself, a fresh project.

Import after benchmarks.common.setup() (it needs Django).
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import sentry_sdk
from sentry_sdk.transport import Transport

from ingest import queue
from ingest.models import PendingEvent
from tests.ingest.sdk import sdk_client
from tracker.models import Organization, Project

ROOT = Path(__file__).resolve().parent.parent


class Keep(Transport):
    """A transport that keeps each envelope instead of sending it."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes: list[bytes] = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(gzip.compress(envelope.serialize(), compresslevel=6))


def make_code_paths() -> list:
    """Twenty functions that fail, each its own issue (grouping reads the function's name)."""
    failures = ["1 / 0", "{}['missing']", "int('x' * order)", "[][order]"]
    paths = []
    for n in range(20):
        namespace: dict = {}
        exec(f"def handle_path_{n}(order):\n    {failures[n % 4]}\n", namespace)  # noqa: S102
        paths.append(namespace[f"handle_path_{n}"])
    return paths


def build_envelopes(dsn: str, count: int) -> list[bytes]:
    """`count` gzip-compressed envelopes, as the SDK sends them: exceptions from 20 code
    paths (20 issues), 500 users, 3 regions."""
    transport = Keep()
    client = sdk_client(dsn, transport=transport)
    paths = make_code_paths()
    with sentry_sdk.isolation_scope() as scope:
        scope.set_client(client)
        for n in range(count):
            scope.set_user({"id": str(n % 500), "email": f"user{n % 500}@example.com"})
            scope.set_tag("region", ("eu", "us", "ap")[n % 3])
            try:
                paths[n % 20](n + 1)
            except Exception as exc:
                sentry_sdk.capture_exception(exc)
    client.close()
    return transport.envelopes


def fresh_project() -> Project:
    organization, _ = Organization.objects.get_or_create(
        slug="bench-ingest", defaults={"name": "Bench"}
    )
    Project.objects.filter(organization=organization).delete()
    PendingEvent.objects.all().delete()
    if queue.enabled():
        leftovers = list(queue.client().scan_iter(queue.key("*")))
        if leftovers:
            queue.client().delete(*leftovers)
    return Project.objects.create(
        organization=organization, name="Ingest", slug="ingest", short_name="ING"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (gunicorn's and Celery's workers)."""
    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (the Celery worker's pool)."""
    root = psutil.Process(pid)
    return sum(process.memory_info().rss for process in [root, *root.children(recursive=True)])


def start_worker(concurrency: int, log: Path) -> subprocess.Popen:
    """`celery -A config worker`, as in production (prefork pool, no task limit per child)."""
    celery = Path(sys.executable).parent / "celery"
    return start(
        [str(celery), "-A", "config", "worker", "--loglevel=warning",
         f"--concurrency={concurrency}", "--without-mingle", "--without-gossip",
         "-n", "bench-ingest@%h"],
        log,
    )  # fmt: skip
