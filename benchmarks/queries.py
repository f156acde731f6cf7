"""Database queries per page: constant whatever the page shows.

    .venv/bin/python benchmarks/queries.py

On PostgreSQL (database tasklink_bench), in-process with Django's test Client. The same
figures are asserted by tests/perf/test_queries.py on SQLite and PostgreSQL.
"""

from __future__ import annotations

from common import mark, median_ms, record, setup, table

setup("tasklink_bench")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from asana_sandbox import start_sandbox  # noqa: E402
from integrations.models import PluginConfig  # noqa: E402
from tests.perf.builders import make_issue, make_issues, make_team  # noqa: E402
from tracker import activity_display, event_display  # noqa: E402
from tracker.models import Organization  # noqa: E402

SLUG = "bench-queries"
ISSUE_PAGE_TARGET = 8
HTMX = {"HX-Request": "true"}
ENGINEERING_NAME = "Acme Engineering"


def clean() -> None:
    Organization.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username__startswith=SLUG).delete()


def count(client: Client, url: str, *, warm: bool = False, **kwargs) -> tuple[int, float]:
    """(queries of the first request, median ms). `warm`: of a second request instead, for the
    issue list, as a person's first request also fills the per-person caches (their user row,
    their getting-started state): 5 queries more. The issue page is counted on its first
    view, which renders its body: the most it makes."""
    if warm:
        client.get(url, **kwargs)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    # Read now: the next request's request_started signal empties the log.
    queries = len(captured.captured_queries)
    time_ms, _ = median_ms(lambda: client.get(url, **kwargs), repeat=15)
    return queries, time_ms


def issue_page_parts(client: Client, owner, issue) -> list[tuple]:
    """Where the issue page's server time goes (in-process medians, ms)."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.urls import resolve

    from tracker.models import Issue

    def fetch():
        found = Issue.objects.for_user(owner).select_related("project__organization")
        found = found.get(pk=issue.pk)
        return found, list(found.activities.select_related("user")[:50]), found.events.first()

    request = RequestFactory().get(issue.get_absolute_url())
    request.user, request.session, request.htmx = owner, {}, False
    request._messages = FallbackStorage(request)
    request.resolver_match = resolve(request.path)
    found, activities, event = fetch()
    context = {
        "issue": found,
        "event": event,
        "event_body": event_display.body_html(event, found),
        "activity_lines": activity_display.lines(activities),
        "plugins": ["asana"],
    }
    parts = [
        ("whole request: the issue page (test Client)", lambda: client.get(request.path)),
        ("whole request: bare view, base.html, 0 queries", lambda: client.get("/_bench/bare/")),
        ("whole request: logged-in base.html, 2 queries", lambda: client.get("/_bench/session/")),
        ("the view's 3 queries (issue, 50 activity + users, event)", fetch),
        (
            "render issue_detail.html, data in hand",
            lambda: render_to_string("tracker/issue_detail.html", context, request),
        ),
        (
            "  of which the 50 activity entries",
            lambda: render_to_string("tracker/activity.html", context, request),
        ),
        ("  of which base.html", lambda: render_to_string("base.html", {}, request)),
    ]
    return [(label, *median_ms(call, repeat=200, warmup=20)) for label, call in parts]


def main() -> None:
    clean()
    sandbox = start_sandbox(auto_approve=True)
    settings.ASANA_BASE_URL = sandbox.url
    cache.clear()
    try:
        project, owner, people = make_team(SLUG, "Bench", "BENCH")
        workspace = next(
            w.gid for w in sandbox.state.workspaces.values() if w.name == ENGINEERING_NAME
        )
        PluginConfig.objects.create(
            project=project, plugin="asana", options={"workspace": workspace}
        )
        from benchmarks.client_calls import Bench

        Bench(sandbox, owner).identity()
        client = Client()
        client.force_login(owner)

        rows = []
        make_issues(project, 1)
        issue_list = reverse("issue_list")
        one_issue = count(client, issue_list, warm=True)[0]
        make_issues(project, 49)
        lists = []
        for label, query in [
            ("issue list, 50 issues, page 1", ""),
            ("issue list, page 2", "?page=2"),
            (
                "issue list, project+status+linked+search",
                f"?project={project.pk}&linked=linked&query=key",
            ),
        ]:
            n, ms = count(client, issue_list + query, warm=True)
            lists.append(n)
            rows.append((label, n, ms, ""))
        record(
            "issue list: constant queries (1 vs 50 issues, filters, page 2)",
            f"{one_issue} with 1 issue; {', '.join(map(str, lists))} with 50",
            set(lists) == {one_issue},
        )

        pages = []
        for events, tasks in [(1, 1), (200, 1), (1, 20), (200, 20)]:
            issue = make_issue(project, events=events, tasks=tasks, activities=50, people=people)
            n, ms = count(client, issue.get_absolute_url())
            pages.append(n)
            label = f"issue page, {events} events, {tasks} tasks, 50 activity entries"
            rows.append((label, n, ms, mark(n <= ISSUE_PAGE_TARGET)))
        record(
            f"issue page: constant queries, <= {ISSUE_PAGE_TARGET} (1/200 events, 1/20 tasks)",
            ", ".join(map(str, pages)),
            len(set(pages)) == 1 and max(pages) <= ISSUE_PAGE_TARGET,
        )
        n, ms = count(client, issue.get_absolute_url() + "?fragment=activity", headers=HTMX)
        rows.append(("activity fragment, 50 entries", n, ms, ""))

        panels = []
        for tasks in (1, 20):
            linked = make_issue(project, tasks=tasks, people=people)
            panel = reverse("plugin_asana_panel", args=[linked.pk])
            client.get(panel, headers=HTMX)  # the workspaces, cached for the next loads
            n, ms = count(client, panel, headers=HTMX)
            panels.append(n)
            rows.append((f"Asana panel, {tasks} linked tasks (workspaces cached)", n, ms, ""))
        record(
            "Asana panel: constant queries (1 vs 20 linked tasks)",
            f"{panels[0]} / {panels[1]}",
            panels[0] == panels[1],
        )
        table(
            "Database queries per page (PostgreSQL; target: constant, "
            f"issue page <= {ISSUE_PAGE_TARGET})",
            ("page", "queries", "median ms (in-process)", f"<= {ISSUE_PAGE_TARGET}"),
            rows,
        )
        table(
            "Where the issue page's time goes (200 events, 50 activity entries; in-process, ms)",
            ("part", "median", "p95"),
            issue_page_parts(client, owner, issue),
        )
    finally:
        sandbox.stop()
        clean()


if __name__ == "__main__":
    main()
