"""`make demo`: the Asana sandbox and Tasklink side by side, both stopped by one Ctrl-C.

With ASANA_CLIENT_ID set, Tasklink talks to real Asana instead and no sandbox is started.
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
APP_PORT = int(os.environ.get("APP_PORT", "8000"))


def stop_on_term(signum, frame):
    raise KeyboardInterrupt  # `kill` stops the demo as Ctrl-C does


def main() -> int:
    signal.signal(signal.SIGTERM, stop_on_term)
    env = dict(os.environ, DJANGO_DEBUG="true")
    app_url = f"http://127.0.0.1:{APP_PORT}"
    env.setdefault("APP_BASE_URL", app_url)
    processes: list[subprocess.Popen] = []
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
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "asana_sandbox",
                    "--port",
                    str(SANDBOX_PORT),
                    "--redirect-uri",
                    f"{env['APP_BASE_URL']}/auth/complete/asana/",
                ],
                cwd=ROOT,
                env=env,
            )
        )
    processes.append(
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{APP_PORT}", "--noreload"],
            cwd=ROOT,
            env=env,
        )
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
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
