"""Every benchmark, one after the other, then the targets met and missed: `make bench`.

    .venv/bin/python benchmarks/run_all.py [--skip-big]

Each script runs in its own process on its own PostgreSQL database (created and migrated when
missing): tasklink_bench, tasklink_bench_ingest, and tasklink_big for the 1,000,000-issue
dataset (built once, then reused). The Asana sandbox is started in-process by the scripts that
need it. Needs
PostgreSQL on 127.0.0.1:5432 (user postgres; BENCH_PG_URL to change it) and wrk.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")

SCRIPTS = [
    ("Asana client: calls per operation, refreshes, overhead", "client_calls.py"),
    ("Database queries per page", "queries.py"),
    ("Calls to Asana per action; autocomplete overhead", "asana_calls.py"),
    ("Throughput and memory under gunicorn", "throughput.py"),
    ("Ingestion end to end", "ingest.py"),
    ("1,000,000 issues and 10,000,000 events", "big_dataset.py"),
    # After big_dataset.py built them: ingestion beside 1,000,000 issues.
    ("Ingestion with 1,000,000 issues", "ingest.py", {"BENCH_DATABASE": "tasklink_big"}),
    ("Storing events: empty database and beside 10,000,000 events", "store_at_size.py"),
    ("The Celery worker's memory over 100,000 events", "worker_memory.py"),
    ("500 new issues through a rule, on a Celery worker pool", "rules.py"),
    ("Asana webhooks: deliveries accepted, change-to-status delay", "webhooks.py"),
    ("Reconciliation: calls to Asana for 1,000 linked tasks", "reconcile.py"),
]


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kb = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")),
        0,
    )
    return [
        f"machine: {os.cpu_count()} CPUs (nproc), {total_kb / 1024 / 1024:.1f} GiB RAM, {model}",
        f"software: Python {platform.python_version()}, {postgres_version()}, "
        f"{tool_version(['wrk', '--version'])}, {platform.system()} {platform.release()}",
        f"command: {' '.join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])} "
        f"(from {ROOT}), {time.strftime('%Y-%m-%d %H:%M %Z')}",
    ]


def postgres_version() -> str:
    try:
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres", connect_timeout=5) as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception as error:  # reported, and the scripts will say more
        return f"PostgreSQL unreachable ({error})"


def tool_version(command: list[str]) -> str:
    try:
        answer = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return f"{command[0]}: not installed"
    text = (answer.stdout or answer.stderr).strip().splitlines()
    return text[0].split(" [")[0] if text else command[0]


def run(title: str, script: str, results: Path, extra: dict) -> tuple[bool, float]:
    print(f"\n=== {title} ({script})", flush=True)
    env = {
        **os.environ,
        "BENCH_RESULTS": str(results),
        "DATABASE_URL": f"{PG_URL}/tasklink_bench",  # client_calls.py reads it
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    # client_calls.py picks its own settings; the others set benchmarks.bench_settings.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    started = time.monotonic()
    answer = subprocess.run([sys.executable, str(HERE / script)], cwd=ROOT, env=env)
    elapsed = time.monotonic() - started
    print(f"  ({script}: {elapsed:.0f} s{'' if answer.returncode == 0 else ', FAILED'})")
    return answer.returncode == 0, elapsed


def summary(results: Path, failed: list[str]) -> None:
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    width = max((len(r["target"]) for r in rows), default=10)
    print("\n=== Targets")
    for row in rows:
        verdict = "met" if row["met"] else "NOT MET"
        print(f"  {row['target'].ljust(width)}  {verdict:7}  {row['measured']}")
    missed = sum(1 for r in rows if not r["met"])
    print(f"\n  {len(rows) - missed} of {len(rows)} targets met", end="")
    print(f"; scripts that failed: {', '.join(failed)}" if failed else "")


def main() -> int:
    skip_big = "--skip-big" in sys.argv[1:]
    print("Tasklink benchmarks")
    for line in machine():
        print("  " + line)
    failed = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tasklink-bench-") as tmp:
        results = Path(tmp) / "results.jsonl"
        results.touch()
        for title, script, *extra in SCRIPTS:
            env = extra[0] if extra else {}
            if skip_big and (
                script in ("big_dataset.py", "store_at_size.py") or env.get("BENCH_DATABASE")
            ):
                continue
            ok, _ = run(title, script, results, env)
            if not ok:
                failed.append(script)
        summary(results, failed)
    print(f"  total time: {(time.monotonic() - started) / 60:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
