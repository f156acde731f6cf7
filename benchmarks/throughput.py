"""Requests per second of the issue page under gunicorn, as a share of the login page's; memory.

    .venv/bin/python benchmarks/throughput.py

gunicorn (2 sync workers, benchmarks.bench_settings: production settings plus /_bench/bare/)
on PostgreSQL (database tasklink_bench) with Redis as in production (cache, cached_db sessions;
BENCH_REDIS_URL, default redis://127.0.0.1:6379/9), loaded with wrk on loopback through a logged-in
session cookie (a session made for the person, as login() makes it). The target compares
the issue page with the login page (an anonymous GET, as a visitor sees it); the bare view
(base.html, no query), base.html for the logged-in person (the session and user lookups) and
the page of an empty issue show where the rate goes. All are measured in the same run,
alternately. Then the workers' resident memory after a warm-up and after 10,000 more
issue page requests (/proc/<pid>/status).

BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_MEMORY_REQUESTS change the run, BENCH_DATABASE the
database; BENCH_SESSION_ENGINE tries another session engine (see bench_settings.py).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path

from common import ROOT, mark, record, setup, table

# Production runs with Redis: the cache and cached_db sessions. Set before Django reads it.
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
setup(os.environ.get("BENCH_DATABASE", "tasklink_bench"))

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.auth.backends import ModelBackend  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from tests.perf.builders import make_issue, make_team  # noqa: E402
from tracker.models import Organization  # noqa: E402

SLUG = "bench-throughput"
WORKERS = 2
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
ROUNDS = 2
WARMUP_REQUESTS = 1_000
MEMORY_REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", "10000"))
RATIO_TARGET = 0.5
# Allocator noise, not a leak: a leak over 10,000 requests shows as megabytes.
GROWTH_TOLERANCE_MIB = 1.0
BARE = "bare view: base.html, 0 queries"
LOGIN = "login page (anonymous GET)"


def clean() -> None:
    Organization.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username__startswith=SLUG).delete()


def build() -> tuple[str, str, str, str]:
    """(issue title, its path, an empty issue's path, session cookie) of a person."""
    project, owner, people = make_team(SLUG, "Bench", "BENCH")
    issue = make_issue(project, events=200, tasks=20, activities=50, people=people)
    empty = make_issue(project, events=0, activities=0)
    return issue.title, issue.get_absolute_url(), empty.get_absolute_url(), session_cookie(owner)


def session_cookie(user) -> str:
    """A logged-in session for `user`, made as django.contrib.auth.login would store it."""
    backend = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if issubclass(import_string(path), ModelBackend)
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings"}
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi",
        f"--workers={WORKERS}",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={ROOT}",
        "--log-level=warning",
        f"--error-logfile={log}",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/_bench/bare/", timeout=10)
            return server
        except requests.RequestException:  # not listening yet, or slow to its first answer
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()}") from None
            time.sleep(0.2)
    server.terminate()  # never leave it running behind a failed benchmark
    server.wait(timeout=30)
    raise RuntimeError("gunicorn did not answer within 60 s")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in kB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def wrk(url: str, cookie: str, seconds: float) -> dict:
    """One wrk run: requests, seconds, rate, p50/p99 in ms, non-2xx/3xx answers."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--latency"]
    if "/accounts/login/" not in url:  # the login page is measured as a visitor sees it
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": int(done.group(1)),
        "seconds": to_ms(done.group(2) + done.group(3)) / 1000,
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        # A run that answered nothing (a machine too loaded) has no latency distribution.
        "p50": to_ms(latency["50"]) if "50" in latency else float("nan"),
        "p99": to_ms(latency["99"]) if "99" in latency else float("nan"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def at_least(url: str, cookie: str, count: int, rate: float) -> dict:
    """wrk runs until `count` requests were answered (wrk itself only knows durations)."""
    total = {"requests": 0, "errors": 0}
    while total["requests"] < count:
        left = count - total["requests"]
        run = wrk(url, cookie, max(2.0, 1.1 * left / rate))
        total["requests"] += run["requests"]
        total["errors"] += run["errors"]
        rate = max(run["rate"], 1.0)
    return total


def check(base: str, path: str, cookie: str, expect: str) -> None:
    """The page answers 200 with its content to this cookie: not a redirect to the login."""
    headers = {"Cookie": cookie} if cookie else {}
    answer = requests.get(base + path, headers=headers, allow_redirects=False)
    if answer.status_code != 200 or expect not in answer.text:
        raise RuntimeError(f"{path} answered {answer.status_code}, not the page")


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    clean()
    title, issue_path, empty_path, cookie = build()
    session_key = cookie.split("=", 1)[1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="tasklink-gunicorn-", suffix=".log")[1])
    server = start_gunicorn(port, log)
    try:
        check(base, "/_bench/bare/", cookie, "Tasklink")
        check(base, "/_bench/session/", cookie, "Log out")
        check(base, issue_path, cookie, title)
        check(base, empty_path, cookie, "No events were kept")
        check(base, "/accounts/login/", "", "Log in")
        pages = {
            BARE: "/_bench/bare/",
            LOGIN: "/accounts/login/",
            "logged-in base.html: session + user (both from Redis)": "/_bench/session/",
            "issue page, no event, no activity": empty_path,
            "issue page, 200 events, 50 activity entries": issue_path,
        }
        for path in pages.values():
            wrk(base + path, cookie, 2)  # warm-up: imports, templates, connections
        runs = {name: [] for name in pages}
        for _ in range(ROUNDS):
            for name, path in pages.items():
                runs[name].append(wrk(base + path, cookie, SECONDS))
        rates = {
            name: sum(r["requests"] for r in results) / sum(r["seconds"] for r in results)
            for name, results in runs.items()
        }
        rows = [
            (
                name,
                sum(r["requests"] for r in results),
                rates[name],
                f"{rates[name] / rates[BARE]:.1%}",
                f"{rates[name] / rates[LOGIN]:.1%}",
                max(r["p50"] for r in results),
                max(r["p99"] for r in results),
                sum(r["errors"] for r in results),
            )
            for name, results in runs.items()
        ]
        table(
            f"Throughput: gunicorn {WORKERS} sync workers, PostgreSQL, wrk -t1 -c{CONNECTIONS} "
            f"on loopback, {ROUNDS}x{SECONDS} s per page, alternating",
            ("page", "requests", "req/s", "of bare", "of login", "p50 ms", "p99 ms", "non-2xx"),
            rows,
        )
        page_rate = rates[next(reversed(pages))]
        ratio = page_rate / rates[LOGIN]
        print(
            f"  issue page / login page: {ratio:.1%} (target >= {RATIO_TARGET:.0%}: "
            f"{mark(ratio >= RATIO_TARGET)}); load average {os.getloadavg()[0]:.1f}"
        )
        full = runs[next(reversed(pages))]
        record(
            f"issue page req/s >= {RATIO_TARGET:.0%} of the login page's (gunicorn, PostgreSQL, "
            "Redis)",
            f"{ratio:.1%} ({page_rate:.0f} vs {rates[LOGIN]:.0f} req/s; issue page p50 "
            f"{max(r['p50'] for r in full):.1f} ms, p99 {max(r['p99'] for r in full):.1f} ms)",
            ratio >= RATIO_TARGET,
        )

        pids = worker_pids(server.pid)
        warm = at_least(base + issue_path, cookie, WARMUP_REQUESTS, page_rate)
        after_warmup = {pid: memory_kb(pid) for pid in pids}
        loaded = at_least(base + issue_path, cookie, MEMORY_REQUESTS, page_rate)
        at_end = {pid: memory_kb(pid) for pid in pids}
        if worker_pids(server.pid) != pids:
            print("  (a worker was replaced during the run: memory figures are not comparable)")
        rows = [
            (
                f"worker {n + 1}",
                after_warmup[pid][0] / 1024,
                at_end[pid][0] / 1024,
                (at_end[pid][0] - after_warmup[pid][0]) / 1024,
                at_end[pid][1] / 1024,
            )
            for n, pid in enumerate(pids)
        ]
        growth = max(at_end[pid][0] - after_warmup[pid][0] for pid in pids) / 1024
        record(
            f"worker memory: no growth over {MEMORY_REQUESTS:,} issue page requests after warm-up",
            f"+{growth:.1f} MiB; peak VmHWM {max(at_end[pid][1] for pid in pids) / 1024:.1f} MiB",
            growth <= GROWTH_TOLERANCE_MIB,
        )
        table(
            f"gunicorn worker memory (MiB, /proc/<pid>/status): after a warm-up of "
            f"{warm['requests']:,} issue page requests, then after {loaded['requests']:,} more "
            f"({loaded['errors']} non-2xx)",
            ("process", "VmRSS warm", "VmRSS end", "growth", "VmHWM (peak)"),
            rows,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        errors = log.read_text().strip()
        log.unlink()
        if errors:
            print(f"  gunicorn log:\n{errors}")
        import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).delete()
        clean()


if __name__ == "__main__":
    main()
