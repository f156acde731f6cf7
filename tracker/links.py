"""Links taken from outside (trackers, events) are only ever http(s)."""

from __future__ import annotations

from urllib.parse import urlsplit


def http_url(value: object) -> str:
    """The URL if it is an absolute http(s) URL, else "" (a `javascript:` link, garbage)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return value
