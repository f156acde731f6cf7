"""500 new issues through a rule, with the sandbox's rate limit on: total time, Asana calls per
task (target: 1 create, nothing wasted: no 429, no retry, no extra read), tasks created (target:
one per issue, none duplicated, none failed).

    .venv/bin/python benchmarks/rules.py [--issues 500] [--rate-limit 1500] [--limiter 1500]
                                         [--workers 4] [--burst]

By default the firings run on a real Celery worker pool (`celery -A config worker`, prefork,
`--workers` processes), started here and stopped by its PID (with `--burst`, only once
every firing is queued, as after a burst of new issues), with Redis (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/5, flushed first) as the broker and as the limiter's shared
count; `--workers 0` runs them in-process (Celery eager, no Redis), waiting in place. Tasklink
is on PostgreSQL (database tasklink_bench_rules). The sandbox counts `--rate-limit` calls a
minute per token (Asana: 150 free, 1,500 paid); the rule's identity is told `--limiter` calls a
minute. `--limiter` above `--rate-limit` shows a 429 storm waited out (Retry-After) without
losing a task. The rule puts its tasks in an Asana project that two-way sync already watches
(its webhook row is made beforehand), so what is counted is the rule's own calls.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--issues", type=int, default=500)
parser.add_argument("--rate-limit", type=int, default=1500)
parser.add_argument("--limiter", type=int, default=None)
parser.add_argument("--workers", type=int, default=4, help="Celery processes; 0: in-process")
parser.add_argument(
    "--burst", action="store_true", help="queue every firing first, then start the worker pool"
)
OPTIONS = parser.parse_args()
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
if OPTIONS.workers:
    # Before Django reads its settings: the broker, and the cache the limiter counts in.
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["CELERY_QUEUE"] = "bench-rules"
else:
    os.environ.pop("REDIS_URL", None)

from common import ROOT, mark, record, setup, table  # noqa: E402

setup("tasklink_bench_rules")

import psutil  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402

from asana_sandbox import start_sandbox  # noqa: E402
from integrations.models import ExternalIssue, PluginConfig, Webhook  # noqa: E402
from integrations.rules.models import Firing, Rule  # noqa: E402
from tests.support import (  # noqa: E402
    BACKEND_PROJECT,
    ENGINEERING,
    connect_identity,
    sandbox_log,
)
from tracker.models import Issue, Membership, Organization, Project  # noqa: E402
from tracker.signals import issue_first_seen  # noqa: E402

SLUG = "bench-rules"
# Long enough for 500 tasks at 150 calls a minute, with room to spare.
DRAIN_TIMEOUT = 900


@contextmanager
def worker_pool(processes: int, asana_url: str) -> Iterator[psutil.Process | None]:
    """A Celery worker pool on the benchmark's settings and queue, stopped by its PID at the
    end (TERM: a warm shutdown). None when the benchmark runs in-process."""
    if not processes:
        yield None
        return
    from config.celery import app

    env = {**os.environ, "ASANA_BASE_URL": asana_url, "LOG_LEVEL": "WARNING"}
    log = Path(tempfile.gettempdir()) / "tasklink-bench-rules-worker.log"
    command = [
        str(Path(sys.executable).parent / "celery"), "-A", "config", "worker",
        "--loglevel=warning", f"--concurrency={processes}", "--pool=prefork",
        "--without-mingle", "--without-gossip", "-n", f"bench-rules-{os.getpid()}@%h",
    ]  # fmt: skip
    with log.open("wb") as out:
        worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start: see {log}")
        print(f"Celery worker pid {worker.pid}, {processes} processes, log {log}", flush=True)
        yield psutil.Process(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def cpu_seconds(process: psutil.Process | None) -> float:
    """CPU time of the benchmark itself, or of the worker and its pool's processes."""
    tree = [psutil.Process()] if process is None else [process, *process.children(True)]
    return sum(p.cpu_times().user + p.cpu_times().system for p in tree)


def pending(project: Project) -> int:
    return Firing.objects.filter(rule__project=project, outcome=Firing.Outcome.PENDING).count()


def main() -> None:
    # Stopped from outside (timeout, kill): the worker pool is still stopped, by its PID.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    limiter = OPTIONS.limiter or OPTIONS.rate_limit
    Organization.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username=SLUG).delete()
    cache.clear()  # the limiter's counts (Redis db of the benchmark's own)
    organization = Organization.objects.create(name="Bench", slug=SLUG)
    project = Project.objects.create(
        organization=organization, name="Bench", slug="bench", short_name="BENCH"
    )
    owner = get_user_model().objects.create(username=SLUG, email="owner@example.com")
    Membership.objects.create(organization=organization, user=owner, role="owner")
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": ENGINEERING})

    with start_sandbox(rate_limit=OPTIONS.rate_limit) as sandbox, ExitStack() as stack:
        settings.ASANA_BASE_URL = sandbox.url
        identity = connect_identity(owner, sandbox)
        identity.extra_data["calls_per_minute"] = limiter
        identity.save()
        Rule.objects.create(
            project=project,
            owner=owner,
            name="New issues",
            trigger="first_seen",
            plugin="asana",
            action={"project": BACKEND_PROJECT},
        )
        # Two-way sync watches the Asana project since its first linked task: the steady
        # state, in which a new task costs no webhook call (benchmarks/webhooks.py measures
        # those).
        Webhook.objects.update_or_create(
            provider="asana",
            resource=BACKEND_PROJECT,
            defaults={
                "resource_type": "project",
                "workspace": ENGINEERING,
                "identity": identity,
                "remote_id": "watched-before-the-benchmark",
            },
        )
        issues = [
            Issue.objects.create(project=project, title=f"Bench error {n}", event_count=1)
            for n in range(OPTIONS.issues)
        ]
        requests_before = len(sandbox_log(sandbox))
        pool = worker_pool(OPTIONS.workers, sandbox.url)
        worker = None if OPTIONS.burst else stack.enter_context(pool)
        cpu_before = cpu_seconds(worker)
        started = time.perf_counter()
        for issue in issues:  # as ingestion sends it, after its commit
            issue_first_seen.send(sender=Issue, issue=issue, event=None)
        queued = time.perf_counter() - started
        if OPTIONS.burst:  # every firing waits in Redis: the pool drains the burst
            worker = stack.enter_context(pool)
            cpu_before = cpu_seconds(worker)
        drain_started = time.perf_counter()
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while pending(project) and time.monotonic() < deadline:
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        drained = time.perf_counter() - drain_started
        cpu = cpu_seconds(worker) - cpu_before
        log = sandbox_log(sandbox)[requests_before:]
        task_names = Counter(task.name for task in sandbox.state.tasks.values())

    calls = Counter((e["method"], e["path"], e["status"]) for e in log)
    mappings = ExternalIssue.objects.filter(issue__project=project)
    created = mappings.count()
    most_per_issue = max(Counter(mappings.values_list("issue_id", flat=True)).values(), default=0)
    duplicated = sum(n - 1 for name, n in task_names.items() if name.startswith("Bench error"))
    outcomes = Counter(
        Firing.objects.filter(rule__project=project).values_list("outcome", flat=True)
    )
    posts = sum(
        n for (method, path, _), n in calls.items() if (method, path) == ("POST", "/api/1.0/tasks")
    )
    throttled = sum(n for (_, _, status), n in calls.items() if status == 429)
    per_task = len(log) / created if created else float("inf")
    where = f"Celery worker pool, {OPTIONS.workers} processes" if worker else "in-process (eager)"
    rows = [
        ("issues", OPTIONS.issues),
        ("firings run", where),
        ("sandbox rate limit / limiter (calls a minute)", f"{OPTIONS.rate_limit} / {limiter}"),
        ("tasks created", created),
        ("tasks duplicated in Asana", duplicated),
        ("most tasks linked to one issue", most_per_issue),
        ("firings failed / still pending", f"{outcomes.get('failed', 0)} / {pending(project)}"),
        ("Asana calls", len(log)),
        ("of which POST /tasks", posts),
        ("of which 429", throttled),
        ("calls per task", f"{per_task:.2f}"),
        ("signals sent (firings queued) in", f"{queued:.1f} s"),
        ("total time, first signal to last task", f"{elapsed:.1f} s"),
        (
            "of which draining, after the signals" + (" (pool started)" * OPTIONS.burst),
            f"{drained:.1f} s",
        ),
        ("tasks a minute while draining", f"{created / drained * 60:.0f}"),
        ("CPU time of the " + ("worker pool" if worker else "process"), f"{cpu:.1f} s"),
    ]
    table("Rules: new issues to Asana tasks", ("measure", "value"), rows)
    for other, n in sorted(calls.items()):
        print(f"  {n:5d}  {other[0]} {other[1]} -> {other[2]}")
    no_loss = created == OPTIONS.issues and not outcomes.get("failed") and not duplicated
    record(f"{OPTIONS.issues} rule firings create {OPTIONS.issues} tasks", f"{created}", no_loss)
    record("Asana calls per task (target 1.00)", f"{per_task:.2f}", per_task == 1.0)
    print(f"no loss, no duplicate: {mark(no_loss)}; one call per task: {mark(per_task == 1.0)}")
    Organization.objects.filter(slug=SLUG).delete()


if __name__ == "__main__":
    main()
