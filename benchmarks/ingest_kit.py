"""What the ingestion benchmarks share: envelopes built by sentry-sdk itself, a fresh project.

Import after benchmarks.common.setup() (it needs Django).
"""

from __future__ import annotations

import gzip

import sentry_sdk
from sentry_sdk.transport import Transport

from ingest import queue
from ingest.models import PendingEvent
from tracker.models import Organization, Project


class Keep(Transport):
    """A transport that keeps each envelope instead of sending it."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes: list[bytes] = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(gzip.compress(envelope.serialize(), compresslevel=6))


def make_code_paths() -> list:
    """Twenty functions that fail, each its own issue (grouping reads the function's name)."""
    failures = ["1 / 0", "{}['missing']", "int('x' * order)", "[][order]"]
    paths = []
    for n in range(20):
        namespace: dict = {}
        exec(f"def handle_path_{n}(order):\n    {failures[n % 4]}\n", namespace)  # noqa: S102
        paths.append(namespace[f"handle_path_{n}"])
    return paths


def build_envelopes(dsn: str, count: int) -> list[bytes]:
    """`count` gzip-compressed envelopes, as the SDK sends them: exceptions from 20 code
    paths (20 issues), 500 users, 3 regions."""
    transport = Keep()
    client = sentry_sdk.Client(
        dsn=dsn,
        transport=transport,
        default_integrations=False,
        release="shop@2.0.0",
        environment="production",
    )
    paths = make_code_paths()
    with sentry_sdk.isolation_scope() as scope:
        scope.set_client(client)
        for n in range(count):
            scope.set_user({"id": str(n % 500), "email": f"user{n % 500}@example.com"})
            scope.set_tag("region", ("eu", "us", "ap")[n % 3])
            try:
                paths[n % 20](n + 1)
            except Exception as exc:
                sentry_sdk.capture_exception(exc)
    client.close()
    return transport.envelopes


def fresh_project() -> Project:
    organization, _ = Organization.objects.get_or_create(
        slug="bench-ingest", defaults={"name": "Bench"}
    )
    Project.objects.filter(organization=organization).delete()
    PendingEvent.objects.all().delete()
    if queue.enabled():
        leftovers = list(queue.client().scan_iter(queue.key("*")))
        if leftovers:
            queue.client().delete(*leftovers)
    return Project.objects.create(
        organization=organization, name="Ingest", slug="ingest", short_name="ING"
    )
