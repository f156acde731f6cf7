"""What every benchmark script shares: Django set up on a benchmark database, timing, tables.

    from common import setup
    client_calls = setup("tasklink_bench")   # before any Django import

Each script runs on its own PostgreSQL database (created when missing, then migrated), under
benchmarks.bench_settings: production settings plus the bare page.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
STATIC_ROOT = Path(tempfile.gettempdir()) / "tasklink-bench-static"


def setup(database: str, *, migrate: bool = True):
    """Django on `database` (PostgreSQL, created when missing); returns benchmarks.client_calls,
    whose import creates the database and runs django.setup()."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"{PG_URL}/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    os.environ.setdefault("BENCH_STATIC_ROOT", str(STATIC_ROOT))
    from django.core.management import call_command

    from benchmarks import client_calls  # creates the database, then django.setup()

    if migrate:
        call_command("migrate", verbosity=0)
    # The manifest that production's static storage reads, outside the working tree.
    call_command("collectstatic", interactive=False, verbosity=0)
    quiet_logs()
    # As config/wsgi.py does in a server's worker: requests measured in-process here do not
    # pay for full garbage collections over the startup objects a worker has frozen.
    from config.startup import freeze_startup_objects

    freeze_startup_objects()
    return client_calls


def setup_ingest(database: str):
    """setup() for the benchmarks that run ingestion's Redis queue and a real Celery worker:
    REDIS_URL as given (default: db 14) and the queue "bench-ingest", set before Django reads
    them, so the worker consumes only what the benchmark queues."""
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    os.environ.setdefault("CELERY_QUEUE", "bench-ingest")
    return setup(database)


def quiet_logs() -> None:
    import logging

    for name in ("tasklink", "axes", "django.request", "django.security"):
        logging.getLogger(name).setLevel(logging.ERROR)


def median_ms(call: Callable[[], Any], repeat: int, warmup: int = 2) -> tuple[float, float]:
    """(median, p95) wall time of `call` in milliseconds."""
    samples = timings(call, repeat, warmup)
    p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]
    return statistics.median(samples), p95


def timings(call: Callable[[], Any], repeat: int, warmup: int = 2) -> list[float]:
    """Wall time of each of `repeat` calls in milliseconds, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def table(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    from benchmarks.client_calls import print_table

    print_table(title, header, rows)
    sys.stdout.flush()


def mark(met: bool) -> str:
    return "yes" if met else "NO"


def record(target: str, measured: str, met: bool) -> None:
    """A target and what was measured, for run_all.py's summary (when it asked for them)."""
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"target": target, "measured": measured, "met": met}) + "\n")
