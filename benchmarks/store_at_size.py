"""What storing events costs the database, empty and beside 1,000,000 issues / 10,000,000 events.

    .venv/bin/python benchmarks/store_at_size.py [DATABASE ...]

The worker's store path (`ingest.store.store`, batches of 200 as the worker drains them: the
event_id dedup lookup, grouping, the event INSERTs, tags, users, the issues' UPDATEs) runs on
each database given (default: tasklink_bench_store, created empty, then tasklink_big) inside
transactions that are rolled back, so the databases are left as they were. For each it prints
ms per event (wall and the SQL alone) and, from pg_statio, how many blocks of each of the
event table's indexes were read from outside shared_buffers (or found in them) per event: the
cost that grows with the size of an index whose inserts land on random pages.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from common import PG_URL, ROOT, record

EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
BATCH = 200
GROUPS = 20


def payload(n: int) -> dict:
    frames = [
        {"module": "shop.views", "function": f"handler_{n % GROUPS}", "lineno": 10, "in_app": True}
    ]
    return {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "python",
        "exception": {
            "values": [
                {"type": "KeyError", "value": f"order {n}", "stacktrace": {"frames": frames}}
            ]
        },
        "tags": {"release": f"1.{n % 5}.0", "server": f"web-{n % 3}"},
        "user": {"id": str(n % 50)},
    }


def shape(sql: str) -> str:
    """A statement's kind and first table, e.g. "INSERT tracker_event", "SELECT tracker_event"."""
    sql = re.sub(r"^\d+ times: ", "", sql)  # an executemany, as CaptureQueriesContext notes it
    table = re.search(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql)
    verb = sql.split(None, 1)[0].upper()
    return f"{verb} {table.group(1)}" if table else verb


def measure(database: str) -> dict:
    """Run in a child process per database (Django binds to one database at start-up)."""
    from common import setup

    setup(database)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from ingest.store import Incoming, store
    from tracker.models import Event, Organization, Project

    def index_blocks() -> dict[str, tuple[int, int]]:
        with connection.cursor() as cursor:
            # This transaction's own counters (the cumulative views lag behind it).
            cursor.execute(
                "SELECT relname, pg_stat_get_xact_blocks_fetched(oid) - "
                "pg_stat_get_xact_blocks_hit(oid), pg_stat_get_xact_blocks_hit(oid) "
                "FROM pg_class WHERE oid IN (SELECT indexrelid FROM pg_index "
                "WHERE indrelid = 'tracker_event'::regclass) OR oid = 'tracker_event'::regclass"
            )
            return {name: (read, hit) for name, read, hit in cursor.fetchall()}

    payloads = [payload(n) for n in range(EVENTS)]
    events_before = Event.objects.count() if database != "tasklink_big" else 10_000_000
    wall = sql = 0.0
    statements: dict[str, float] = {}
    with transaction.atomic():
        organization = Organization.objects.create(name="Store bench", slug=f"store-{uuid.uuid4()}")
        project = Project.objects.create(
            organization=organization, name="Store", slug="store", short_name="STORE"
        )
        before = index_blocks()
        for start in range(0, EVENTS, BATCH):
            now = datetime.now(UTC)
            batch = [
                Incoming(project.pk, p["event_id"], p, now) for p in payloads[start : start + BATCH]
            ]
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                with transaction.atomic():
                    store(batch)
                wall += time.perf_counter() - began
            for query in captured.captured_queries:
                sql += float(query["time"])
                kind = shape(query["sql"])
                statements[kind] = statements.get(kind, 0.0) + float(query["time"])
        after = index_blocks()
        transaction.set_rollback(True)
    blocks = {
        name: (
            (after[name][0] - before[name][0]) / EVENTS,
            (after[name][1] - before[name][1]) / EVENTS,
        )
        for name in after
    }
    return {
        "events_before": events_before,
        "wall": wall,
        "sql": sql,
        "blocks": blocks,
        "statements": statements,
    }


def main() -> None:
    databases = sys.argv[1:] or ["tasklink_bench_store", "tasklink_big"]
    rows, per_event, statements = [], [], []
    for database in databases:
        code = (
            "import json, sys; sys.path.insert(0, 'benchmarks');"
            "import store_at_size as s;"
            f"print('RESULT', json.dumps(s.measure({database!r})))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        result = json.loads(out.split("RESULT ", 1)[1])
        per_event.append(result["wall"] * 1000 / EVENTS)
        statements.append(result["statements"])
        rows.append(
            (
                f"{database} ({result['events_before']:,} events)",
                f"{result['wall'] * 1000 / EVENTS:.2f}",
                f"{result['sql'] * 1000 / EVENTS:.2f}",
                ", ".join(
                    f"{name} {read:.2f}/{hit:.1f}"
                    for name, (read, hit) in sorted(result["blocks"].items())
                ),
            )
        )
    # Printed here: importing the benchmarks' table printer would set Django up in this process.
    print(
        f"\nStoring {EVENTS:,} events in batches of {BATCH} (rolled back; load average "
        f"{os.getloadavg()[0]:.1f}; PostgreSQL at {PG_URL})"
    )
    print("  database | ms/event | SQL ms/event | event table and index blocks read/hit per event")
    for row in rows:
        print("  " + " | ".join(row))
    # Where the SQL time goes, by statement, beside each other: what grows with the data.
    kinds = sorted(
        {k for s in statements for k in s}, key=lambda k: -max(s.get(k, 0) for s in statements)
    )
    print("  statement | " + " | ".join(f"ms/event on {database}" for database in databases))
    for kind in kinds[:8]:
        print(
            f"  {kind} | " + " | ".join(f"{s.get(kind, 0) * 1000 / EVENTS:.3f}" for s in statements)
        )
    if len(per_event) == 2:
        empty, big = per_event
        record(
            "storing events beside 10,000,000 events within 20% of the empty database's cost",
            f"{big:.2f} against {empty:.2f} ms/event ({(big / empty - 1) * 100:+.0f} %)",
            big <= empty * 1.2,
        )


if __name__ == "__main__":
    main()
