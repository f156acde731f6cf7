"""What one ingestion request costs in the web process: CPU time per request and its profile.

    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python benchmarks/profile_ingest.py

Calls the WSGI application in-process (as a gunicorn worker does, without the socket) with
envelopes built by sentry-sdk, gzip-compressed, on PostgreSQL (tasklink_bench_ingest) and
Redis, once per queue (the database spool, then the Redis queue), and prints the CPU time per
request of each, then the profile of the last one (BENCH_PROFILE_SORT, default tottime).
Nothing drains the events: only the request's own work is measured.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_QUEUE", "bench-profile-ingest")

from common import setup  # noqa: E402

setup("tasklink_bench_ingest")

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test import override_settings  # noqa: E402
from ingest_kit import build_envelopes, fresh_project  # noqa: E402

from ingest import queue  # noqa: E402
from ingest.models import PendingEvent  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_EVENTS", "2000"))
SORT = os.environ.get("BENCH_PROFILE_SORT", "tottime")


def environ(path: str, body: bytes, auth: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_SENTRY_AUTH": auth,
        "HTTP_CONTENT_ENCODING": "gzip",
        "CONTENT_TYPE": "application/x-sentry-envelope",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def run(app: WSGIHandler, path: str, auth: str, envelopes: list[bytes]) -> float:
    """CPU seconds for all the requests."""
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    started = time.process_time()
    for body in envelopes:
        for _ in app(environ(path, body, auth), start_response):
            pass
    spent = time.process_time() - started
    assert all(status.startswith("200") for status in statuses), set(statuses)
    return spent


def main() -> None:
    project = fresh_project()
    key = project.keys.get()
    envelopes = build_envelopes(f"http://{key.public_key}@127.0.0.1/{project.pk}", REQUESTS)
    app = WSGIHandler()
    path, auth = f"/api/{project.pk}/envelope/", f"Sentry sentry_key={key.public_key}"
    # A drain task would run on a worker: the flag stays set, so none is published.
    with override_settings(INGEST_DRAIN_FLAG_SECONDS=3600):
        run(app, path, auth, envelopes[:100])  # warm-up: connections, caches
        results = {}
        for name, url in (("database spool", ""), ("Redis queue", settings.REDIS_URL)):
            with override_settings(INGEST_QUEUE_REDIS_URL=url):
                fresh_project_queue()
                results[name] = run(app, path, auth, envelopes)
        for name, spent in results.items():
            print(f"{name}: {spent / REQUESTS * 1000:.2f} ms CPU per request ({REQUESTS} requests)")
        print(f"load average {os.getloadavg()[0]:.1f}")
        with override_settings(INGEST_QUEUE_REDIS_URL=settings.REDIS_URL):
            fresh_project_queue()
            # CPU time, not wall time: waits on sockets are not what a core spends.
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            run(app, path, auth, envelopes)
            profile.disable()
    pstats.Stats(profile).sort_stats(SORT).print_stats(35)
    fresh_project_queue()


def fresh_project_queue() -> None:
    """Forget the events the previous round kept (nothing drains them here)."""
    PendingEvent.objects.all().delete()
    if queue.enabled():
        queue.client().delete(queue.key("events"))


if __name__ == "__main__":
    main()
