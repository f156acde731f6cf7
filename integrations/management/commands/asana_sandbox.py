"""manage.py asana_sandbox: a thin wrapper over `python -m asana_sandbox` for the demo."""

from __future__ import annotations

import sys
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError

from asana_sandbox.__main__ import build_parser, serve


class Command(BaseCommand):
    help = "Serve the Asana sandbox (same flags as `python -m asana_sandbox`)."
    # The sandbox needs nothing from the app, so it runs even while the app is misconfigured.
    requires_system_checks: list[str] = []

    def run_from_argv(self, argv: list[str]) -> None:
        # The sandbox owns its flags; parse them with its own parser, not Django's.
        options = build_parser().parse_args(argv[2:])
        try:
            # Django's OutputWrapper writes as a text stream does; serve() only writes to it.
            serve(options, cast(TextIO, self.stdout))
        except OSError as error:
            # run_from_argv is outside Django's CommandError handling: exit as it would.
            self.stderr.write(f"Cannot listen on {options.host}:{options.port}: {error}")
            sys.exit(1)

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover - run_from_argv
        raise CommandError("Run it as `manage.py asana_sandbox [flags]`.")
