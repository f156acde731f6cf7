"""The Celery worker's memory over 100,000 events: resident memory after each 10,000.

    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python benchmarks/worker_memory.py

A real worker (`celery -A config worker`, prefork, concurrency BENCH_CELERY_CONCURRENCY,
default 1, no task limit per child) stores BENCH_EVENTS events (default 100,000) in rounds of
BENCH_ROUND (10,000) on PostgreSQL (tasklink_bench_ingest). The events are 1,000 made by
sentry-sdk (20 issues), each sent again with a fresh event_id; they are put on the Redis queue
exactly as the endpoint puts them, and a drain is queued as the endpoint queues it (gunicorn is
left out: its memory is measured by throughput.py). After each round, once every event is
stored, it prints the worker's resident memory (all its processes) and its CPU per event. The
first round is the warm-up: growth is measured from there to the end.
"""

from __future__ import annotations

import gzip
import os
import signal
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from common import mark, record, setup_ingest, table

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
ROUND = int(os.environ.get("BENCH_ROUND", "10000"))
CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "1"))
DISTINCT = 1000
PUSH = 500  # events per RPUSH, as a burst of requests would add them
GROWTH_ALLOWED = 0.05

setup_ingest("tasklink_bench_ingest")

from django.db import connection  # noqa: E402
from ingest_kit import (  # noqa: E402
    build_envelopes,
    cpu_seconds,
    fresh_project,
    rss_bytes,
    start_worker,
    wait_until,
)

from ingest import envelope, queue, tasks  # noqa: E402


def sdk_payloads(dsn: str) -> list[tuple[bytes, bytes]]:
    """(payload, its event_id) of DISTINCT events built by sentry-sdk."""
    payloads = []
    for body in build_envelopes(dsn, DISTINCT):
        parsed = envelope.parse(gzip.decompress(body))
        [item] = [item for item in parsed.items if item.type == "event"]
        payloads.append((item.payload, parsed.headers["event_id"].encode()))
    return payloads


def feed(project_id: int, payloads: list[tuple[bytes, bytes]], start: int, count: int) -> None:
    for offset in range(start, start + count, PUSH):
        batch = []
        for n in range(offset, min(offset + PUSH, start + count)):
            payload, old_id = payloads[n % DISTINCT]
            new_id = uuid.uuid4().hex
            received = datetime.now(UTC)
            batch.append(
                queue.Queued(project_id, new_id, received, payload.replace(old_id, new_id.encode()))
            )
        if queue.push(batch):
            tasks.publish_drain()


def stored(project_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(event_count), 0) FROM tracker_issue WHERE project_id = %s",
            [project_id],
        )
        return int(cursor.fetchone()[0])


def main() -> None:
    assert queue.enabled(), "needs REDIS_URL (the Redis queue)"
    project = fresh_project()
    key = project.keys.get()
    print(f"building {DISTINCT} events with sentry-sdk…", flush=True)
    payloads = sdk_payloads(f"http://{key.public_key}@127.0.0.1/{project.pk}")
    log = Path(tempfile.mkstemp(prefix="tasklink-bench-worker-memory-", suffix=".log")[1])
    worker = start_worker(CONCURRENCY, log)
    rows = []
    try:
        time.sleep(3)  # the worker connects to Redis
        started = time.perf_counter()
        for done in range(0, EVENTS, ROUND):
            count = min(ROUND, EVENTS - done)
            cpu_before, round_started = cpu_seconds(worker.pid), time.perf_counter()
            feed(project.pk, payloads, done, count)
            wait_until(lambda n=done + count: stored(project.pk) >= n, 900)
            cpu = cpu_seconds(worker.pid) - cpu_before
            rss = rss_bytes(worker.pid) / 2**20
            rate = count / (time.perf_counter() - round_started)
            rows.append((done + count, rss, cpu / count * 1000, rate))
            print(
                f"  {done + count:>7,} events stored: worker RSS {rss:.1f} MiB, "
                f"{cpu / count * 1000:.2f} ms CPU per event, {rate:.0f} events/s",
                flush=True,
            )
        elapsed = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    warm, end = rows[0][1], rows[-1][1]
    growth = end / warm - 1
    met = growth <= GROWTH_ALLOWED
    table(
        f"Celery worker memory: {EVENTS:,} events in rounds of {ROUND:,}, concurrency "
        f"{CONCURRENCY}, PostgreSQL, Redis queue ({elapsed:.0f} s, load average "
        f"{os.getloadavg()[0]:.1f} at the end)",
        ("measure", "value", "target", "met"),
        [
            ("events stored", f"{stored(project.pk):,}", f"{EVENTS:,}", ""),
            (f"RSS after warm-up ({rows[0][0]:,} events)", f"{warm:.1f} MiB", "", ""),
            (f"RSS at the end ({rows[-1][0]:,} events)", f"{end:.1f} MiB", "", ""),
            ("growth", f"{growth:+.1%}", f"<= {GROWTH_ALLOWED:.0%}", mark(met)),
        ],
    )
    record(
        f"Celery worker RSS over {EVENTS:,} events grows <= {GROWTH_ALLOWED:.0%}",
        f"{warm:.0f} -> {end:.0f} MiB ({growth:+.1%})",
        met,
    )
    print(f"log: {log}")
    assert stored(project.pk) == EVENTS


if __name__ == "__main__":
    main()
