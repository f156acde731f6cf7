"""Where the issue page's time goes: cProfile of 200 in-process requests, beside the login page.

    .venv/bin/python benchmarks/profile_page.py

Django's test Client on PostgreSQL (database tasklink_bench) with Redis as in production
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/9): an issue with 200 events and 50 activity
entries, the mean time of the login page, of the issue page (its body from the cache), of an
empty issue's page and of the issue page when its body is rendered (a new version: one more
user seen before each request), then the profile of the issue page sorted by cumulative time,
limited to the project's own code and the query and template machinery (BENCH_PROFILE_ALL=1
adds the functions by their own time; BENCH_PROFILE_EMPTY=1 profiles the empty issue's page).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time

from common import setup

os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
setup(os.environ.get("BENCH_DATABASE", "tasklink_bench"))

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402

from tests.perf.builders import make_issue, make_team  # noqa: E402
from tracker.models import Issue, Organization  # noqa: E402

SLUG = "bench-profile"
REQUESTS = 200
FOCUS = "tracker|integrations|config|loader_tags|query.py:.*(get|first|_fetch_all)|auth/__init__"


def mean_ms(client: Client, url: str, before=lambda: None) -> tuple[float, float]:
    """(wall, CPU) milliseconds per request, CPU being this process's alone (not PostgreSQL's
    or Redis's): the figure that other work on the machine disturbs least. `before` runs
    before each request, untimed."""
    wall = cpu = 0.0
    for _ in range(REQUESTS):
        before()
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        wall += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
    return wall / REQUESTS * 1000, cpu / REQUESTS * 1000


def main() -> None:
    Organization.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username__startswith=SLUG).delete()
    project, owner, people = make_team(SLUG, "Profile", "PROF")
    issue = make_issue(project, events=200, tasks=20, activities=50, people=people)
    empty = make_issue(project, events=0, activities=0)
    client = Client()
    client.force_login(owner)
    url = issue.get_absolute_url()
    for _ in range(20):  # warm-up
        assert client.get(url).status_code == 200
        assert client.get(empty.get_absolute_url()).status_code == 200
    login, login_cpu = mean_ms(Client(), "/accounts/login/")
    page, page_cpu = mean_ms(client, url)
    empty_page, empty_cpu = mean_ms(client, empty.get_absolute_url())
    seen = Issue.objects.filter(pk=issue.pk)
    new, new_cpu = mean_ms(client, url, lambda: seen.update(user_count=F("user_count") + 1))
    print(f"login page {login:.1f} ms wall, {login_cpu:.2f} ms CPU; "
          f"issue page {page:.1f} ms wall, {page_cpu:.2f} ms CPU")  # fmt: skip
    print(f"empty issue's page {empty_page:.1f} ms wall, {empty_cpu:.2f} ms CPU; issue page "
          f"rendered anew (a new version) {new:.1f} ms wall, {new_cpu:.2f} ms CPU")  # fmt: skip
    print(f"issue page / login page: {login / page:.0%} by wall, {login_cpu / page_cpu:.0%} by "
          f"CPU (target 50%); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    # Timed by CPU: what this process spends, not its waits on PostgreSQL and Redis.
    profile = cProfile.Profile(time.process_time)
    if os.environ.get("BENCH_PROFILE_EMPTY"):
        url = empty.get_absolute_url()
    profile.enable()
    for _ in range(REQUESTS):
        client.get(url)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(FOCUS, 40)
    if os.environ.get("BENCH_PROFILE_ALL"):
        stats.sort_stats("tottime").print_stats(40)
    Organization.objects.filter(slug=SLUG).delete()


if __name__ == "__main__":
    main()
