"""The official Python SDK, pointed at a Tasklink server, without touching global state."""

from __future__ import annotations

import contextlib
import threading
import time

import sentry_sdk


def sdk_client(dsn: str, **options) -> sentry_sdk.Client:
    """The SDK's client for `dsn` as a shop's backend sets it up (release shop@1.2.3 in
    production), without the integrations that would patch this process. The ingestion
    benchmarks build their envelopes with it too."""
    return sentry_sdk.Client(
        dsn=dsn,
        default_integrations=False,
        auto_enabling_integrations=False,
        release="shop@1.2.3",
        environment="production",
        **options,
    )


@contextlib.contextmanager
def sdk_scope(dsn: str, compression: str = "gzip", **options):
    """A scope whose captures go to `dsn` through the SDK's own HTTP transport."""
    client = sdk_client(dsn, _experiments={"transport_compression_algo": compression}, **options)
    with sentry_sdk.isolation_scope() as scope:
        scope.set_client(client)
        yield scope
    client.flush(timeout=10)
    transport = client.transport
    client.close(timeout=10)
    transport._pool.clear()  # the SDK keeps its keep-alive connections open past close()
    # The live server serves the SDK's keep-alive connection in a thread of its own; let it see
    # the close before the test ends, or it closes the test's shared database connection late.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.01)
