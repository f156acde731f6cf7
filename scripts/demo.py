"""`make demo`: the Asana sandbox and Tasklink side by side, both stopped by one Ctrl-C.

With ASANA_CLIENT_ID set, Tasklink talks to real Asana instead and no sandbox is started. The
sandbox keeps its world in .sandbox-state.json beside the SQLite database, so a second `make
demo` finds the tasks and connections the database still links. If one process dies, the demo
says which and with what exit code, and stops the others.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8765"))
SANDBOX_STATE = ROOT / ".sandbox-state.json"
APP_PORT = int(os.environ.get("APP_PORT", "8000"))


def stop_on_term(signum, frame):
    raise KeyboardInterrupt  # `kill` stops the demo as Ctrl-C does


def main() -> int:
    signal.signal(signal.SIGTERM, stop_on_term)
    env = dict(os.environ, DJANGO_DEBUG="true")
    app_url = f"http://127.0.0.1:{APP_PORT}"
    env.setdefault("APP_BASE_URL", app_url)
    # name -> process, in the order they start.
    processes: dict[str, subprocess.Popen] = {}
    real_asana = bool(os.environ.get("ASANA_CLIENT_ID"))
    if real_asana:
        print(
            "ASANA_CLIENT_ID is set: using real Asana at",
            env.get("ASANA_BASE_URL", "https://app.asana.com"),
            "(no sandbox).",
        )
    else:
        sandbox_url = f"http://127.0.0.1:{SANDBOX_PORT}"
        env["ASANA_BASE_URL"] = sandbox_url
        processes["the Asana sandbox"] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "asana_sandbox",
                "--port",
                str(SANDBOX_PORT),
                "--redirect-uri",
                f"{env['APP_BASE_URL']}/auth/complete/asana/",
                "--state-file",
                str(SANDBOX_STATE),
                # Tasklink's webhook receiver is on 127.0.0.1 in the demo.
                "--allow-local-webhooks",
            ],
            cwd=ROOT,
            env=env,
        )
    processes["Tasklink (runserver)"] = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{APP_PORT}", "--noreload"],
        cwd=ROOT,
        env=env,
    )
    if not env.get("REDIS_URL"):
        # No Celery beat without Redis: the Asana reconciliation runs in a loop of its own.
        every = env.get("ASANA_RECONCILE_SECONDS", "600")
        processes["the Asana reconciliation"] = subprocess.Popen(
            [sys.executable, "manage.py", "reconcile_asana", "--every", every],
            cwd=ROOT,
            env=env,
        )
    time.sleep(1.5)
    print(f"""
  Tasklink is running: {app_url}
    log in as demo / demo (or sign up), open an issue, and use the Asana panel on the right.
    Django admin: {app_url}/admin/ (demo is a superuser in the demo)""")
    if not real_asana:
        print(f"""  Asana sandbox: http://127.0.0.1:{SANDBOX_PORT}
    Connect Asana from an issue, pick a sandbox user on its consent page and approve.
    State of the sandbox: http://127.0.0.1:{SANDBOX_PORT}/_sandbox/state""")
    print("  Ctrl-C stops both.\n")
    died = None
    try:
        died = wait_for_first_exit(processes)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all(processes)
    if died is None:
        return 0
    name, code = died
    print(
        f"\n  {name} stopped unexpectedly ({describe_exit(code)}); the demo stopped the rest."
        "\n  Its own messages are above.",
        file=sys.stderr,
    )
    return code or 1


def wait_for_first_exit(processes: dict[str, subprocess.Popen]) -> tuple[str, int]:
    """Until one process ends: its name and exit code."""
    while True:
        for name, process in processes.items():
            code = process.poll()
            if code is not None:
                return name, code
        time.sleep(0.5)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def stop_all(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    sys.exit(main())
