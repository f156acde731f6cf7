"""Where PostgreSQL's time goes while a command runs: every statement of one database, summed.

    .venv/bin/python benchmarks/pg_log_profile.py tasklink_big -- \
        env BENCH_DATABASE=tasklink_big BENCH_EVENTS=4000 .venv/bin/python benchmarks/ingest.py

pg_stat_statements needs a restart to be loaded; this needs none. It sets
`log_min_duration_statement = 0` on the database alone (its new connections log every
statement with its duration), runs the command, resets the setting whatever happens, and reads
the server's log from where it ended before (BENCH_PG_LOG, default Debian's
/var/log/postgresql/postgresql-15-main.log, whose line prefix names the database). Statements
are summed by shape: literals, parameters and IN lists folded. Durations are wall time inside
the server, so run it on a quiet machine; a parse, bind and execute are counted apart.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import psycopg
from common import PG_URL

LOG = Path(os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
TOP = int(os.environ.get("BENCH_TOP", "15"))

# "2026-11-29 04:21:30.123 UTC [4242] postgres@tasklink_big LOG:  duration: 0.356 ms  execute
# <unnamed>: INSERT …" (log_line_prefix '%m [%p] %q%u@%d ').
LINE = re.compile(
    r"^\S+ \S+ \S+ \[\d+\] \S*@(?P<database>\S+) LOG:  duration: (?P<ms>[\d.]+) ms  "
    r"(?:(?P<phase>parse|bind|execute) [^:]*|statement): (?P<sql>.*)$"
)
FOLD = [
    (re.compile(r"'(?:[^']|'')*'"), "?"),
    (re.compile(r"\$\d+|\b\d+(?:\.\d+)?\b"), "?"),
    (re.compile(r"\?(?:, \?)+"), "?…"),
    (re.compile(r"\(\?…?\)(?:, \(\?…?\))+"), "(?…)…"),
]


def shape(sql: str) -> str:
    for pattern, replacement in FOLD:
        sql = pattern.sub(replacement, sql)
    return sql


def summed(database: str, offset: int) -> dict[tuple[str, str], list[float]]:
    """(phase, statement shape) -> [calls, total ms] for the database's lines after offset."""
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    with LOG.open(errors="replace") as log:
        log.seek(offset)
        for line in log:
            found = LINE.match(line)
            if found and found["database"] == database:
                total = totals[(found["phase"] or "simple", shape(found["sql"]))]
                total[0] += 1
                total[1] += float(found["ms"])
    return totals


def main() -> None:
    database, command = sys.argv[1], sys.argv[sys.argv.index("--") + 1 :]
    offset = LOG.stat().st_size
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{database}" SET log_min_duration_statement = 0')
        try:
            returncode = subprocess.run(command, check=False).returncode
        finally:
            conn.execute(f'ALTER DATABASE "{database}" RESET log_min_duration_statement')
    totals = summed(database, offset)
    grand = sum(ms for _, ms in totals.values())
    print(f"\nPostgreSQL time of {database} while the command ran: {grand:.0f} ms (wall, server)")
    print("  total ms |  calls | ms/call | phase    | statement")
    for (phase, sql), (calls, ms) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:TOP]:
        print(f"  {ms:8.1f} | {calls:6.0f} | {ms / calls:7.3f} | {phase:8s} | {sql[:150]}")
    sys.exit(returncode)


if __name__ == "__main__":
    main()
