"""`python -m asana_sandbox --port 8765 …`: serve the sandbox in the foreground until Ctrl-C.

Standard library only, so it runs beside any app (or none); `manage.py asana_sandbox` is a
thin wrapper over `main()` for the demo.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from .server import SandboxServer
from .state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_TTL, Config


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


# Config fields set in seconds from the command line, and what each means.
WEBHOOK_SECONDS = {
    "webhook_heartbeat": "an empty delivery to every webhook this often (Asana: 8 hours)",
    "webhook_timeout": "a delivery not answered within this failed (Asana: 10 s)",
    "webhook_failure_window": "a webhook failing this long without a success is deleted "
    "(Asana: 24 hours)",
    "webhook_retry_base": "the first retry of a failed delivery waits this long, doubling",
}


def _positive_number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be more than 0")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m asana_sandbox",
        description=(
            "Serve the Asana sandbox: Asana's OAuth endpoints and the API subset Tasklink uses, "
            "with seeded workspaces, people, projects and tasks. Point ASANA_BASE_URL at it."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--token-ttl",
        type=_positive_int,
        default=DEFAULT_TOKEN_TTL,
        help="access token lifetime in seconds (expires_in)",
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="skip the consent page: approve at once as the first user (or ?sandbox_user=)",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--redirect-uri", default=None, help="the only redirect_uri accepted (default: any)"
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive_int,
        default=None,
        help="requests per minute per token before a 429 (default: no limit)",
    )
    parser.add_argument(
        "--allow-local-webhooks",
        action="store_true",
        help="accept webhook targets on localhost and loopback addresses (Asana refuses them)",
    )
    defaults = Config()
    for name, explanation in WEBHOOK_SECONDS.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=_positive_number,
            default=getattr(defaults, name),
            metavar="SECONDS",
            help=explanation,
        )
    parser.add_argument(
        "--state-file",
        default=None,
        metavar="PATH",
        help="keep the sandbox's world in this JSON file across restarts (default: in memory)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def serve(options: argparse.Namespace, stdout: TextIO = sys.stdout) -> None:
    """Serve until Ctrl-C or SIGTERM; raises OSError when the port cannot be bound."""
    sandbox = SandboxServer(
        options.host,
        options.port,
        token_ttl=options.token_ttl,
        auto_approve=options.auto_approve,
        client_id=options.client_id,
        client_secret=options.client_secret,
        redirect_uri=options.redirect_uri,
        rate_limit=options.rate_limit,
        verbose=options.verbose,
        state_file=options.state_file,
        allow_local_webhooks=options.allow_local_webhooks,
        **{name: getattr(options, name) for name in WEBHOOK_SECONDS},
    )
    # The server runs on its own threads and the main thread only waits: a signal sets an
    # event instead of raising KeyboardInterrupt into whatever lock the server holds.
    leave = threading.Event()
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        # `make demo` and process managers stop it with SIGTERM: leave as on Ctrl-C.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: leave.set())
    try:
        sandbox.start()
        stdout.write(f"Asana sandbox listening on {sandbox.url}\n")
        stdout.flush()
        while not leave.wait(timeout=1):
            pass
    except KeyboardInterrupt:  # not in the main thread: Ctrl-C reaches us as before
        pass
    finally:
        sandbox.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        serve(options)
    except OSError as error:
        parser.exit(1, f"Cannot listen on {options.host}:{options.port}: {error}\n")
    except ValueError as error:  # a state file it cannot read
        parser.exit(1, f"{error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
