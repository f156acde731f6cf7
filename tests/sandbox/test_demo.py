"""scripts/demo.py: when one of its processes dies, it says which and stops the others."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_demo():
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_first_process_to_die_is_named_with_its_exit_code_and_the_others_stop():
    demo = load_demo()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    failing = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])
    processes = {"the Asana sandbox": failing, "Tasklink (runserver)": sleeper}

    died = demo.wait_for_first_exit(processes)
    demo.stop_all(processes)

    assert died == ("the Asana sandbox", 3)
    assert sleeper.poll() is not None


def test_a_killed_process_is_described_by_its_signal():
    demo = load_demo()

    assert demo.describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert demo.describe_exit(2) == "exit code 2"


def test_the_demo_stops_and_says_so_when_the_sandbox_cannot_start():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    env = dict(
        os.environ,
        SANDBOX_PORT=str(taken.getsockname()[1]),
        APP_PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    env.pop("ASANA_CLIENT_ID", None)
    started = time.monotonic()
    try:
        run = subprocess.run(
            [sys.executable, "scripts/demo.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        taken.close()

    assert run.returncode == 1
    assert "the Asana sandbox stopped unexpectedly (exit code 1)" in run.stderr
    assert "Cannot listen on" in run.stderr
    assert time.monotonic() - started < 30
