"""manage.py asana_sandbox: serve the Asana sandbox (a local app.asana.com) until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.asana.sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN_TTL,
    SandboxServer,
)


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Serve the Asana sandbox: Asana's OAuth endpoints and the API subset Tasklink uses, "
        "with seeded workspaces, people, projects and tasks. Point ASANA_BASE_URL at it."
    )
    # The sandbox needs nothing from the app, so it runs even while the app is misconfigured.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
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

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sandbox = SandboxServer(
                options["host"],
                options["port"],
                token_ttl=options["token_ttl"],
                auto_approve=options["auto_approve"],
                client_id=options["client_id"],
                client_secret=options["client_secret"],
                redirect_uri=options["redirect_uri"],
                rate_limit=options["rate_limit"],
                verbose=options["verbosity"] >= 2,
            )
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {error}"
            ) from error
        in_main_thread = threading.current_thread() is threading.main_thread()
        if in_main_thread:
            # `make demo` and process managers stop it with SIGTERM: leave as on Ctrl-C.
            signal.signal(signal.SIGTERM, _interrupt)
        try:
            # Inside the try: a Ctrl-C right after the line is printed still stops cleanly.
            self.stdout.write(f"Asana sandbox listening on {sandbox.url}")
            self.stdout.flush()
            sandbox.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            if in_main_thread:
                # A second Ctrl-C while stopping would only print a traceback.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            sandbox.stop()
