"""What the request log may show: secrets replaced, as a provider's own logs would keep them.

The log is served at /_sandbox/requests (to tests, and to anyone who can reach a demo), so a
client secret, a PKCE verifier, an authorization code or a token in it would be a working
credential. Each is replaced by `[REDACTED]` wherever it travels: the query, a form or JSON
body, and the Authorization header (its scheme stays, so a log still tells Bearer from Basic).
"""

from __future__ import annotations

from typing import Any

REDACTED = "[REDACTED]"
# Field names that carry a credential in OAuth (RFC 6749, 7009, 7636) and in Asana's API.
SECRET_FIELDS = frozenset(
    [
        "access_token",
        "client_secret",
        "code",
        "code_verifier",
        "id_token",
        "password",
        "refresh_token",
        "token",
    ]
)
SECRET_HEADERS = frozenset(["authorization", "cookie", "proxy-authorization", "x-hook-secret"])


def redact_fields(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of a query, form or JSON object with every secret field's value replaced."""
    return {
        key: REDACTED if key.lower() in SECRET_FIELDS else redact_value(value)
        for key, value in values.items()
    }


def redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return redact_fields(value)
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    return value


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers (names lower-cased) with credentials replaced; `Bearer [REDACTED]` keeps the
    scheme."""
    out = {}
    for name, value in headers.items():
        if name in SECRET_HEADERS:
            scheme, space, _ = value.partition(" ")
            value = f"{scheme} {REDACTED}" if space and name.endswith("authorization") else REDACTED
        out[name] = value
    return out
