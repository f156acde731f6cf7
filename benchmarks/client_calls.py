"""What the Asana client costs: calls per operation, refreshes under concurrency, overhead.

    .venv/bin/python benchmarks/client_calls.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tasklink_bench \
        .venv/bin/python benchmarks/client_calls.py

Runs against the Asana sandbox started in-process on loopback. Without DATABASE_URL it uses a
temporary SQLite file; a PostgreSQL database named in DATABASE_URL is created when missing.
Counts come from the sandbox's own request log, not from the client's opinion of itself.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
if not os.environ.get("DATABASE_URL"):
    _tmp = tempfile.mkdtemp(prefix="tasklink-bench-")
    atexit.register(shutil.rmtree, _tmp, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"

CONCURRENT = 20
OVERHEAD_CALLS = 200
WARMUP_CALLS = 20
BENCH_USERNAME = "client-bench"


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE for a postgres:// DATABASE_URL that names one not there yet."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


ensure_postgres_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from social_django.models import UserSocialAuth  # noqa: E402

from asana_sandbox import server as sandbox_server  # noqa: E402
from asana_sandbox.server import SandboxServer, start_sandbox  # noqa: E402
from benchmarks.common import timings  # noqa: E402
from integrations.asana.client import AsanaClient  # noqa: E402
from integrations.exceptions import ApiError  # noqa: E402
from tests.support import connect_identity, run_at_once  # noqa: E402


class Bench:
    def __init__(self, sandbox: SandboxServer, user: Any) -> None:
        self.sandbox = sandbox
        self.user = user

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = requests.request(method, self.sandbox.url + path, timeout=10, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def log(self) -> list[dict[str, Any]]:
        return self.control("GET", "/_sandbox/requests")

    def reset(self) -> None:
        self.control("POST", "/_sandbox/reset")
        UserSocialAuth.objects.filter(user=self.user).delete()

    def identity(self, *, expired: bool = False) -> UserSocialAuth:
        """A connected identity with real sandbox tokens (expired here, or not)."""
        issued = time.time() - (7200 if expired else 0)
        # One identity per Asana person: the previous scenario's goes.
        UserSocialAuth.objects.filter(provider="asana").delete()
        return connect_identity(self.user, self.sandbox, auth_time=issued)

    def count_calls(self, operation: Callable[[], Any]) -> tuple[int, int, str]:
        """(calls to Asana, of which token refreshes, outcome) for one operation."""
        self.control("DELETE", "/_sandbox/requests")
        try:
            operation()
            outcome = "ok"
        except ApiError as error:
            outcome = type(error).__name__
        entries = self.log()
        refreshes = sum(1 for e in entries if e["path"] == "/-/oauth_token")
        return len(entries), refreshes, outcome


def calls_per_operation(bench: Bench) -> list[tuple[str, int, int, str]]:
    bench.reset()
    state = bench.sandbox.state
    workspace = next(w.gid for w in state.workspaces.values() if w.name == "Acme Engineering")
    task = next(iter(state.tasks))
    client = AsanaClient(auth=bench.identity())
    paged = AsanaClient(auth=client.auth)
    paged.page_limit = 1
    created: dict[str, Any] = {}

    def create() -> None:
        created.update(client.create_issue(workspace, {"title": "Bench", "description": "x"}))

    rows = [
        ("get_me", lambda: client.get_me()),
        (f"get_workspaces ({len(state.workspaces)}, limit=100)", client.get_workspaces),
        (f"get_workspaces ({len(state.workspaces)}, limit=1)", paged.get_workspaces),
        ("get_projects (4, limit=1)", lambda: paged.get_projects(workspace)),
        ("get_issue", lambda: client.get_issue(task)),
        ("search", lambda: client.search(workspace, "task", "fix")),
        ("create_issue", create),
        ("create_comment", lambda: client.create_comment(task, {"comment": "Bench"})),
    ]
    results = [(name, *bench.count_calls(op)) for name, op in rows]

    expired = AsanaClient(auth=bench.identity(expired=True))
    results.append(("get_me, token expired here", *bench.count_calls(expired.get_me)))
    results.append(("get_me, next call", *bench.count_calls(expired.get_me)))

    at_asana = AsanaClient(auth=bench.identity())
    bench.control("POST", "/_sandbox/expire-tokens")
    results.append(("get_me, token expired at Asana", *bench.count_calls(at_asana.get_me)))

    revoked = AsanaClient(auth=bench.identity(expired=True))
    bench.control("POST", "/_sandbox/revoke-all")
    results.append(("get_me, grant revoked", *bench.count_calls(revoked.get_me)))
    results.append(("get_me, after that", *bench.count_calls(revoked.get_me)))
    return results


def concurrent_refreshes(bench: Bench, token_delay: float) -> tuple[int, int, int]:
    """(refreshes at Asana, calls that succeeded, calls that failed) for N concurrent calls."""
    bench.reset()
    identity = bench.identity(expired=True)
    if token_delay:
        bench.control(
            "POST",
            "/_sandbox/faults",
            json={"path": "/-/oauth_token", "method": "POST", "delay": token_delay},
        )
    bench.control("DELETE", "/_sandbox/requests")
    results = run_at_once(
        CONCURRENT,
        prepare=lambda: UserSocialAuth.objects.get(pk=identity.pk),
        act=lambda mine: AsanaClient(auth=mine).get_me(),
    )
    # An exception is counted as a failure; the figure is what matters here.
    outcomes = [not isinstance(result, Exception) for result in results]
    refreshes = sum(1 for e in bench.log() if e["path"] == "/-/oauth_token")
    return refreshes, outcomes.count(True), outcomes.count(False)


def set_sqlite_transaction_mode(mode: str | None) -> None:
    """Django's SQLite transaction mode for connections opened from now on (None: default).

    DEFERRED (the default) lets every thread read the row, then fails all writers but one
    with "database is locked"; IMMEDIATE takes the write lock at BEGIN, which makes atomic()
    serialize as PostgreSQL's row lock does.
    """
    options = connections.settings["default"].setdefault("OPTIONS", {})
    if mode is None:
        options.pop("transaction_mode", None)
    else:
        options["transaction_mode"] = mode
    connection.close()


def concurrency_rows(bench: Bench, vendor: str) -> list[tuple[Any, ...]]:
    scenarios = [("", None)]
    if vendor == "sqlite":
        configured = connections.settings["default"].get("OPTIONS", {}).get("transaction_mode")
        scenarios = [(f"{configured or 'DEFERRED'}, ", configured), ("IMMEDIATE, ", "IMMEDIATE")]
    rows = []
    for label, mode in scenarios:
        if vendor == "sqlite":
            set_sqlite_transaction_mode(mode)
        for delay in (0, 0.3):
            when = "token answer at once" if not delay else "token answer after 300 ms"
            rows.append((label + when, *concurrent_refreshes(bench, delay)))
    if vendor == "sqlite":
        set_sqlite_transaction_mode(scenarios[0][1])
    return rows


def overhead(bench: Bench) -> list[tuple[str, float, float]]:
    bench.reset()
    client = AsanaClient(auth=bench.identity())
    url = settings.ASANA_BASE_URL + "/api/1.0/users/me"
    headers = {"Authorization": f"Bearer {client.access_token}", "Accept": "application/json"}
    session = requests.Session()
    rows = [
        ("AsanaClient.get_me()", client.get_me),
        ("requests.get (new connection)", lambda: requests.get(url, headers=headers, timeout=10)),
        ("requests.Session().get (kept alive)", lambda: session.get(url, headers=headers)),
    ]
    results = []
    for name, call in rows:
        samples = timings(call, OVERHEAD_CALLS, WARMUP_CALLS)
        p95 = statistics.quantiles(samples, n=20)[-1]
        results.append((name, statistics.median(samples), p95))
    return results


def print_table(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    cells = [tuple(str(c) for c in header)] + [
        tuple(f"{c:.2f}" if isinstance(c, float) else str(c) for c in row) for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        line = "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        print("  " + line)
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def main() -> None:
    # The client logs each call at INFO: keep the records, but out of this table.
    client_log = logging.getLogger("tasklink.client")
    client_log.propagate = False
    client_log.addHandler(logging.NullHandler())
    logging.getLogger("tasklink.oauth").propagate = False

    if not getattr(sandbox_server._Handler, "disable_nagle_algorithm", False):
        # The sandbox writes headers and body in two packets; on a kept-alive connection Nagle
        # plus delayed ACKs then add ~40 ms to every answer, which would swamp what is measured.
        sandbox_server._Handler.disable_nagle_algorithm = True
        print("(sandbox: TCP_NODELAY set by this script; see its _Handler)")

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USERNAME)
    sandbox = start_sandbox(port=0, auto_approve=True)
    settings.ASANA_BASE_URL = sandbox.url
    bench = Bench(sandbox, user)
    try:
        print(f"Tasklink {settings.VERSION} · Asana sandbox at {sandbox.url} · database: {vendor}")
        print_table(
            "Calls to Asana per operation (from the sandbox request log)",
            ("operation", "calls", "refreshes", "outcome"),
            calls_per_operation(bench),
        )
        lock_note = "SELECT ... FOR UPDATE" if vendor == "postgresql" else "no row locks"
        print_table(
            f"{CONCURRENT} concurrent calls with one expired token ({vendor}: {lock_note})",
            ("scenario", "refreshes", "succeeded", "failed"),
            concurrency_rows(bench, vendor),
        )
        print_table(
            f"GET /users/me on loopback, {OVERHEAD_CALLS} calls each (ms)",
            ("how", "median", "p95"),
            overhead(bench),
        )
    finally:
        bench.reset()
        sandbox.stop()
        get_user_model().objects.filter(username=BENCH_USERNAME).delete()


if __name__ == "__main__":
    main()
