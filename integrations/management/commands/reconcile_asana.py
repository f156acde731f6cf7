"""`manage.py reconcile_asana [--every SECONDS] [--full]`: what Celery beat runs, by hand or in
a loop.

Without Redis (the demo) there is no beat: `make demo` runs this with --every beside the app.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from integrations.asana.sync import reconcile


class Command(BaseCommand):
    help = (
        "Read the linked Asana tasks that changed (--full: every one) and repair webhooks "
        "(once, or every N seconds)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            help=f"repeat every N seconds (beat's interval is {settings.ASANA_RECONCILE_SECONDS})",
        )
        parser.add_argument(
            "--full", action="store_true", help="read every linked task, one by one"
        )

    def handle(self, *args: Any, every: int = 0, full: bool = False, **options: Any) -> None:
        while True:
            result = reconcile(full=full)
            self.stdout.write(
                f"Reconciled: {result['read']} tasks read, {result['changed']} changed, "
                f"{result['comments']} comments shown."
            )
            if every <= 0:
                return
            time.sleep(every)
