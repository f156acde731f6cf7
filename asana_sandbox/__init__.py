"""The Asana sandbox: a faithful local stand-in for app.asana.com (OAuth, the API subset Tasklink
uses, and /_sandbox/ controls), as stripe-mock stands in for Stripe. No Django needed.

    from asana_sandbox import start_sandbox
    with start_sandbox(auto_approve=True) as sandbox:
        ...  # sandbox.url, sandbox.state, sandbox.reset()
"""

from __future__ import annotations

from .server import SandboxServer, start_sandbox
from .state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_TTL, SandboxState

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_TOKEN_TTL",
    "SandboxServer",
    "SandboxState",
    "start_sandbox",
]
