"""Calls to Asana per reconciliation for 1,000 linked tasks: every task read one by one (the
reconciliation before issue 16's last changes, still the daily `--full` sweep) against only
what changed (one `GET /tasks?project=…&modified_since=…` list per watched Asana project,
single reads for tasks in no project).

    .venv/bin/python benchmarks/reconcile.py

The sandbox runs in-process; 1,000 tasks are created in it (BENCH_LOOSE of them, default 50, in
no project; the rest spread over the four Engineering projects), each linked to an issue. A
first run reads every task (the card, its project); the second reads each project's tasks
modified since the oldest state stored (all of them here: made a day ago), setting the
projects' cursors. Then CHANGES tasks (default 10) are
completed in the sandbox, as by a person with every webhook delivery dropped, and the
reconciliation must catch them: once in full mode, once (after CHANGES more) incremental.
Last, CHANGES tasks get a comment in Asana (deliveries missed too): the incremental run shows
each once, reading the stories of each changed task (one call per changed task).
Counted from the sandbox's request log: calls to Asana, by kind. BENCH_TASKS changes the count;
BENCH_DATABASE the PostgreSQL database (default tasklink_bench_reconcile).
"""

from __future__ import annotations

import os
import time

from common import record, setup, table

setup(os.environ.get("BENCH_DATABASE", "tasklink_bench_reconcile"))

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from asana_sandbox import start_sandbox  # noqa: E402
from asana_sandbox.state import Task  # noqa: E402
from integrations.asana import sync  # noqa: E402
from integrations.models import ExternalIssue  # noqa: E402
from tests.support import ENGINEERING, connect_identity, make_user  # noqa: E402
from tracker.models import Issue, Organization, Project  # noqa: E402

TASKS = int(os.environ.get("BENCH_TASKS", "1000"))
LOOSE = int(os.environ.get("BENCH_LOOSE", "50"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "10"))
PROJECTS = ("Backend", "Web App", "Mobile", "Infrastructure")


def seed_tasks(sandbox) -> list[str]:
    """TASKS new tasks in the sandbox (created in its state directly: the set-up is not timed)."""
    state = sandbox.state
    with state.lock:
        projects = [p.gid for p in state.projects.values() if p.name in PROJECTS]
        gids = []
        for n in range(TASKS):
            now = state.now() - 86400  # made yesterday: older than any cursor's margin
            placed = [] if n < LOOSE else [projects[n % len(projects)]]
            task = Task(
                state.new_gid(),
                f"Bench task {n}",
                ENGINEERING,
                created_at=now,
                modified_at=now,
                created_by=next(iter(state.users)),
                projects=placed,
            )
            state.add(task)
            gids.append(task.gid)
    return gids


def link_all(gids: list[str], user) -> None:
    org = Organization.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
    project = Project.objects.create(organization=org, name="B", slug="b", short_name="B")
    issues = Issue.objects.bulk_create(
        Issue(project=project, title=f"Bench issue {n}", number=n + 1) for n in range(len(gids))
    )
    ExternalIssue.objects.bulk_create(
        ExternalIssue(issue=issue, provider="asana", external_id=gid, title=gid, created_by=user)
        for issue, gid in zip(issues, gids, strict=True)
    )


def calls(sandbox_url: str) -> dict[str, int]:
    log = requests.get(f"{sandbox_url}/_sandbox/requests", timeout=10).json()
    log = log.get("data", log) if isinstance(log, dict) else log
    counts = {"task lists": 0, "single task reads": 0, "comment reads": 0, "other": 0}
    for entry in log:
        if entry["method"] == "GET" and entry["path"] == "/api/1.0/tasks":
            counts["task lists"] += 1
        elif entry["method"] == "GET" and entry["path"].endswith("/stories"):
            counts["comment reads"] += 1
        elif entry["method"] == "GET" and entry["path"].startswith("/api/1.0/tasks/"):
            counts["single task reads"] += 1
        elif entry["path"].startswith("/api/1.0/"):
            counts["other"] += 1
    requests.delete(f"{sandbox_url}/_sandbox/requests", timeout=10).raise_for_status()
    return counts


def act(sandbox_url: str, gids: list[str], action: str, **extra: str) -> None:
    for gid in gids:
        requests.post(
            f"{sandbox_url}/_sandbox/act",
            json={"as": "grace@acme.test", "action": action, "task": gid, **extra},
            timeout=10,
        ).raise_for_status()


def run(sandbox_url: str, full: bool) -> tuple[dict[str, int], dict[str, int], float]:
    started = time.process_time()
    result = sync.reconcile(full=full)
    cpu = time.process_time() - started
    return result, calls(sandbox_url), cpu


def main() -> None:
    call_command("flush", interactive=False, verbosity=0)
    # Nothing listens at APP_BASE_URL: Asana refuses the webhooks (the first run's "other
    # calls", then backed off) and every change arrives by reconciliation alone.
    nowhere = "http://127.0.0.1:1"
    with (
        start_sandbox() as sandbox,
        override_settings(ASANA_BASE_URL=sandbox.url, APP_BASE_URL=nowhere),
    ):
        user = make_user(f"bench{time.time_ns()}")
        connect_identity(user, sandbox)
        gids = seed_tasks(sandbox)
        link_all(gids, user)
        calls(sandbox.url)
        first, first_calls, _ = run(sandbox.url, full=False)
        rows = [("first run: every task read once (card, project)", first, first_calls, None)]
        second, second_calls, cpu = run(sandbox.url, full=False)
        rows.append(("second run: each project since its oldest task", second, second_calls, cpu))
        for full, batch in ((True, gids[-CHANGES:]), (False, gids[-2 * CHANGES : -CHANGES])):
            act(sandbox.url, batch, "complete")
            calls(sandbox.url)  # the person's changes are not the reconciliation's calls
            result, counted, cpu = run(sandbox.url, full=full)
            assert result["changed"] == CHANGES, result
            name = "every task one by one (before; now --full)" if full else "only what changed"
            rows.append((name, result, counted, cpu))
        act(sandbox.url, gids[-3 * CHANGES : -2 * CHANGES], "comment", text="Seen on iOS too")
        calls(sandbox.url)
        result, counted, cpu = run(sandbox.url, full=False)
        assert result["comments"] == CHANGES, result
        rows.append(("only what changed: a comment on each", result, counted, cpu))
    table(
        f"Reconciliation of {TASKS:,} linked tasks ({LOOSE} in no project), {CHANGES} changed",
        (
            "run",
            "tasks read",
            "changed",
            "comments",
            "task lists",
            "single reads",
            "comment reads",
            "other calls",
            "CPU s",
        ),
        [
            (
                name,
                result["read"],
                result["changed"],
                result["comments"],
                counted["task lists"],
                counted["single task reads"],
                counted["comment reads"],
                counted["other"],
                "" if cpu is None else f"{cpu:.2f}",
            )
            for name, result, counted, cpu in rows
        ],
    )
    before = sum(rows[2][2].values())
    after = sum(rows[3][2].values())
    print(f"calls per reconciliation: {before:,} before, {after:,} after")
    record("reconciliation calls for 1,000 tasks < 100", f"{after}", after < 100)


if __name__ == "__main__":
    main()
