"""The official Python SDK, pointed at a Tasklink server, without touching global state."""

from __future__ import annotations

import contextlib

import sentry_sdk


@contextlib.contextmanager
def sdk_scope(dsn: str, compression: str = "gzip", **options):
    """A scope whose captures go to `dsn` through the SDK's own HTTP transport."""
    client = sentry_sdk.Client(
        dsn=dsn,
        default_integrations=False,
        auto_enabling_integrations=False,
        release="shop@1.2.3",
        environment="production",
        _experiments={"transport_compression_algo": compression},
        **options,
    )
    with sentry_sdk.isolation_scope() as scope:
        scope.set_client(client)
        yield scope
    client.flush(timeout=10)
    client.close(timeout=10)
