"""Ingestion end to end: sentry-sdk envelopes -> gunicorn -> Redis -> Celery worker -> PostgreSQL.

    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python benchmarks/ingest.py

The envelopes are built by sentry-sdk itself (captured into a transport that keeps them, then
replayed byte for byte, gzip-compressed as the SDK sends them): exceptions with stack traces
from 20 code paths, so 20 issues, with varied messages, users and tags. BENCH_CLIENTS threads
post them to gunicorn (BENCH_GUNICORN_WORKERS sync workers) while a Celery worker
(BENCH_CELERY_CONCURRENCY processes) groups and stores them on PostgreSQL (database
tasklink_bench_ingest). Prints events per second from the first send until the last event is
stored, the endpoint's p50/p99, and the worker's resident memory.

BENCH_DATABASE=tasklink_big runs it beside big_dataset.py's 1,000,000 issues; run after a run
on the empty database (same BENCH_RESULTS, as run_all.py does), it compares the two rates.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import PG_URL, mark, percentile, record, setup_ingest, table

EVENTS = int(os.environ.get("BENCH_EVENTS", "6000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "4"))
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "1"))
TARGET_RATE, TARGET_P99_MS = 300, 50

DATABASE = os.environ.get("BENCH_DATABASE", "tasklink_bench_ingest")
setup_ingest(DATABASE)

import psutil  # noqa: E402
import psycopg  # noqa: E402
import requests  # noqa: E402
import sentry_sdk  # noqa: E402
from django.db.models import Sum  # noqa: E402
from ingest_kit import (  # noqa: E402
    build_envelopes,
    cpu_seconds,
    free_port,
    fresh_project,
    rss_bytes,
    start,
    start_worker,
    wait_until,
)

from ingest import queue  # noqa: E402
from tracker.models import Event, Issue  # noqa: E402


def answers(url: str) -> bool:
    try:
        requests.options(url, timeout=2)
        return True
    except requests.RequestException:
        return False


def send(url: str, headers: dict, bodies: list[bytes], latencies: list[float], statuses: list[int]):
    """One client: a keep-alive connection posting its share of envelopes one after another.

    http.client rather than requests: the load generator shares the 2 cores with what it
    measures, and requests spent ~2 ms of CPU per post (as much as gunicorn); this costs a
    fraction of that. Latency is still measured from before the post until the answer is read.
    """
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    for body in bodies:
        started = time.perf_counter()
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        statuses.append(response.status)
        if response.will_close:
            connection.close()  # reconnects on the next request
    connection.close()


class PostgresCpu(threading.Thread):
    """CPU seconds of the PostgreSQL backends connected to the benchmark's database (other
    databases on the same server, others' work, are left out), sampled every 0.2 s while the
    run lasts: the Celery worker closes its connection after each task, so its backends come
    and go. A backend's CPU before the run is subtracted; one that lived less than 0.2 s is
    missed."""

    def __init__(self):
        super().__init__(daemon=True)
        self.before = self.sample({})
        self.latest = dict(self.before)
        self.running = True

    def sample(self, into: dict[int, float]) -> dict[int, float]:
        with psycopg.connect(f"{PG_URL}/{DATABASE}", autocommit=True) as conn:
            pids = [
                pid
                for (pid,) in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()",
                    [DATABASE],
                )
            ]
        for pid in pids:
            try:
                cpu = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            into[pid] = cpu.user + cpu.system
        return into

    def run(self) -> None:
        while self.running:
            self.sample(self.latest)
            time.sleep(0.2)

    def stop(self) -> float:
        self.running = False
        self.join()
        self.sample(self.latest)
        return sum(self.latest.values()) - sum(self.before.values())


def stored(project) -> int:
    """Events stored for the benchmark's project. Only its own: beside tasklink_big's
    10,000,000 events a count of the whole table was true at once (so the run stopped timing
    before the worker was done) and took 7 s of PostgreSQL's time per count, which the run
    then charged to ingestion."""
    return Event.objects.filter(issue__project=project).count()


def counted(project) -> int:
    """What the project's issues count, written in the transaction that stores their events:
    polled every 50 ms while the worker stores, it reads 20 rows, not the events."""
    return Issue.objects.filter(project=project).aggregate(n=Sum("event_count"))["n"] or 0


def earlier_rate() -> float | None:
    """The empty database's rate recorded earlier in the same run_all.py run, if any."""
    path = os.environ.get("BENCH_RESULTS")
    if not path or not Path(path).exists():
        return None
    for line in Path(path).read_text().splitlines():
        row = json.loads(line)
        if row["target"].startswith("ingestion end to end >="):
            return float(row["measured"].removesuffix("/s"))
    return None


def main() -> None:
    project = fresh_project()
    key = project.keys.get()
    port = free_port()
    dsn = f"http://{key.public_key}@127.0.0.1:{port}/{project.pk}"
    print(f"building {EVENTS} envelopes with sentry-sdk {sentry_sdk.VERSION}…", flush=True)
    envelopes = build_envelopes(dsn, EVENTS)
    log = Path(tempfile.mkstemp(prefix="tasklink-bench-ingest-", suffix=".log")[1])
    bin_dir = Path(sys.executable).parent
    server = start(
        [str(bin_dir / "gunicorn"), "config.wsgi", f"--workers={GUNICORN_WORKERS}",
         f"--threads={GUNICORN_THREADS}", f"--bind=127.0.0.1:{port}", "--log-level=warning"],
        log,
    )  # fmt: skip
    worker = start_worker(CELERY_CONCURRENCY, log)
    url = f"http://127.0.0.1:{port}/api/{project.pk}/envelope/"
    try:
        wait_until(lambda: answers(url), 120)
        time.sleep(3)  # the worker connects to Redis
        headers = {
            "X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7",
            "Content-Encoding": "gzip",
            "Content-Type": "application/x-sentry-envelope",
        }
        shares = [envelopes[i::CLIENTS] for i in range(CLIENTS)]
        latencies: list[float] = []
        statuses: list[int] = []
        threads = [
            threading.Thread(target=send, args=(url, headers, share, latencies, statuses))
            for share in shares
        ]
        cpu_before = {
            name: cpu_seconds(pid)
            for name, pid in (("gunicorn", server.pid), ("worker", worker.pid))
        }
        client_before = psutil.Process().cpu_times()
        postgres = PostgresCpu()
        postgres.start()
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = time.perf_counter() - started
        wait_until(lambda: counted(project) >= EVENTS, 300)
        elapsed = time.perf_counter() - started
        client_after = psutil.Process().cpu_times()
        cpu = {
            name: cpu_seconds(pid) - cpu_before[name]
            for name, pid in (("gunicorn", server.pid), ("worker", worker.pid))
        }
        cpu["PostgreSQL backends"] = postgres.stop()
        cpu["clients"] = (client_after.user + client_after.system) - (
            client_before.user + client_before.system
        )
        rss = rss_bytes(worker.pid)
    finally:
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            process.wait(timeout=30)
    ok = statuses.count(200)
    count = stored(project)
    rate = EVENTS / elapsed
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    table(
        f"Ingestion: {EVENTS} sentry-sdk envelopes, {CLIENTS} clients, gunicorn "
        f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads, Celery worker concurrency "
        f"{CELERY_CONCURRENCY}, PostgreSQL, Redis, events handed over by "
        f"{'the Redis queue' if queue.enabled() else 'the database spool'}",
        ("measure", "value", "target", "met"),
        [
            ("accepted (200)", f"{ok} of {len(statuses)}", "all", mark(ok == EVENTS)),
            ("events stored", f"{count}", f"{EVENTS}", mark(count == EVENTS)),
            ("issues", f"{project.issues.count()}", "20", mark(project.issues.count() == 20)),
            ("end to end, first send to last stored", f"{rate:.0f} events/s ({elapsed:.1f} s)",
             f">= {TARGET_RATE}/s", mark(rate >= TARGET_RATE)),
            ("endpoint alone (all answered)", f"{EVENTS / sent:.0f} requests/s", "", ""),
            ("endpoint p50", f"{p50:.1f} ms", "", ""),
            ("endpoint p99", f"{p99:.1f} ms", f"< {TARGET_P99_MS} ms", mark(p99 < TARGET_P99_MS)),
            ("worker RSS (all processes)", f"{rss / 2**20:.0f} MiB", "", ""),
            *(
                (f"CPU per event: {name}", f"{seconds / EVENTS * 1000:.2f} ms", "", "")
                for name, seconds in cpu.items()
            ),
            ("load average (1 min) at the start / end",
             f"{load_before:.1f} / {os.getloadavg()[0]:.1f}", "", ""),
        ],
    )  # fmt: skip
    issues = Issue.objects.count()
    label = f"ingestion end to end ({issues:,} issues in the database)"
    print(f"  {label}: {rate:.0f} events/s")
    empty = earlier_rate()
    if DATABASE == "tasklink_bench_ingest":
        record("ingestion end to end >= 300 events/s", f"{rate:.0f}/s", rate >= TARGET_RATE)
        record("ingestion endpoint p99 < 50 ms", f"{p99:.1f} ms", p99 < TARGET_P99_MS)
    elif empty:
        record(
            f"ingestion with {issues:,} issues within 20% of the empty database's rate",
            f"{rate:.0f}/s vs {empty:.0f}/s ({rate / empty - 1:+.0%})",
            rate >= 0.8 * empty,
        )
    print(f"log: {log}")
    assert count == EVENTS


if __name__ == "__main__":
    main()
