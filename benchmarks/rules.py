"""500 new issues through a rule, with the sandbox's rate limit on: total time, Asana calls per
task (target: 1 create, nothing wasted: no 429, no retry, no extra read), failures (target 0).

    .venv/bin/python benchmarks/rules.py [--issues 500] [--rate-limit 1500] [--limiter 1500]

Tasklink runs in-process on PostgreSQL (database tasklink_bench_rules), with Celery eager (no
REDIS_URL): each firing runs where the signal is sent, waiting in place when the limiter says
so. The sandbox counts `--rate-limit` calls a minute per token (Asana: 150 free, 1,500 paid);
the rule's identity is told `--limiter` calls a minute. `--limiter` above `--rate-limit`
shows a 429 storm being waited out (Retry-After) without losing a task.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from common import mark, record, setup, table

setup("tasklink_bench_rules")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402

from asana_sandbox import start_sandbox  # noqa: E402
from integrations.models import ExternalIssue, PluginConfig  # noqa: E402
from integrations.rules.models import Firing, Rule  # noqa: E402
from tests.support import ENGINEERING, connect_identity, sandbox_log  # noqa: E402
from tracker.models import Issue, Membership, Organization, Project  # noqa: E402
from tracker.signals import issue_first_seen  # noqa: E402

SLUG = "bench-rules"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--rate-limit", type=int, default=1500)
    parser.add_argument("--limiter", type=int, default=None)
    options = parser.parse_args()
    limiter = options.limiter or options.rate_limit

    Organization.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username=SLUG).delete()
    cache.clear()
    organization = Organization.objects.create(name="Bench", slug=SLUG)
    project = Project.objects.create(
        organization=organization, name="Bench", slug="bench", short_name="BENCH"
    )
    owner = get_user_model().objects.create(username=SLUG, email="owner@example.com")
    Membership.objects.create(organization=organization, user=owner, role="owner")
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": ENGINEERING})

    with start_sandbox(rate_limit=options.rate_limit) as sandbox:
        settings.ASANA_BASE_URL = sandbox.url
        identity = connect_identity(owner, sandbox)
        identity.extra_data["calls_per_minute"] = limiter
        identity.save()
        Rule.objects.create(
            project=project,
            owner=owner,
            name="All new issues",
            trigger="first_seen",
            plugin="asana",
        )
        issues = [
            Issue.objects.create(project=project, title=f"Bench error {n}", event_count=1)
            for n in range(options.issues)
        ]
        requests_before = len(sandbox_log(sandbox))
        started = time.perf_counter()
        for issue in issues:  # as ingestion sends it, after its commit
            issue_first_seen.send(sender=Issue, issue=issue, event=None)
        elapsed = time.perf_counter() - started
        log = sandbox_log(sandbox)[requests_before:]

    calls = Counter((e["method"], e["path"], e["status"]) for e in log)
    created = ExternalIssue.objects.filter(issue__project=project).count()
    outcomes = Counter(
        Firing.objects.filter(rule__project=project).values_list("outcome", flat=True)
    )
    posts = sum(
        n for (method, path, _), n in calls.items() if (method, path) == ("POST", "/api/1.0/tasks")
    )
    throttled = sum(n for (_, _, status), n in calls.items() if status == 429)
    per_task = len(log) / created if created else float("inf")
    rows = [
        ("issues", options.issues),
        ("sandbox rate limit / limiter (calls a minute)", f"{options.rate_limit} / {limiter}"),
        ("tasks created", created),
        ("firings failed", outcomes.get("failed", 0)),
        ("Asana calls", len(log)),
        ("of which POST /tasks", posts),
        ("of which 429", throttled),
        ("calls per task", f"{per_task:.2f}"),
        ("total time", f"{elapsed:.1f} s"),
        ("tasks a minute", f"{created / elapsed * 60:.0f}"),
    ]
    table("Rules: new issues to Asana tasks", ("measure", "value"), rows)
    for other, n in sorted(calls.items()):
        print(f"  {n:5d}  {other[0]} {other[1]} -> {other[2]}")
    no_loss = created == options.issues and not outcomes.get("failed")
    record(f"{options.issues} rule firings create {options.issues} tasks", f"{created}", no_loss)
    record("Asana calls per task (target 1.00)", f"{per_task:.2f}", per_task == 1.0)
    print(f"no loss: {mark(no_loss)}; one call per task: {mark(per_task == 1.0)}")
    Organization.objects.filter(slug=SLUG).delete()


if __name__ == "__main__":
    main()
