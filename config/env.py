"""Tiny readers of environment variables that fail loudly on a bad value.

A typo in production configuration should stop the process at start-up with a message that
names the variable, never fall back silently to a default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

_Number = TypeVar("_Number", int, float)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _env_number(name: str, default: _Number, parse: Callable[[str], _Number], what: str) -> _Number:
    """The variable read with `parse` (int or float), or `default` when unset or blank."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {what}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str) -> dict[str, Any]:
    raw = os.environ.get(name) or default
    try:
        # No health check: it costs a SELECT 1 round trip on every request. A connection the
        # server dropped fails one request, and Django then closes it (CONN_MAX_AGE).
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=False)
    except Exception as exc:  # dj-database-url raises several kinds; all mean "bad URL"
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(
            f"{name}={raw!r} names no database: expected e.g. "
            "postgres://user@host:5432/dbname or sqlite:///path/to/db.sqlite3"
        )
    if config["ENGINE"].endswith("postgresql"):
        # Django's cursors bind parameters on the client and are never prepared; the pages'
        # hot statements (tracker/compiled.py) ask for a server-binding cursor, and with a
        # threshold of 0 PostgreSQL plans each of them once per connection instead of on every
        # request (the issue page's: 1.4 ms planned each time, 0.3 ms prepared). None turns
        # that off, for a pooler in transaction mode that cannot keep prepared statements.
        prepared = env_bool("DATABASE_PREPARED_STATEMENTS", True)
        config.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 0 if prepared else None)
    if config["ENGINE"].endswith("sqlite3"):
        # IMMEDIATE takes the write lock when a transaction starts, so concurrent token
        # refreshes queue behind each other instead of failing with "database is locked".
        # The timeout outlasts a refresh at Asana (ASANA_READ_TIMEOUT).
        config.setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
    return dict(config)


def env_url(name: str, default: str) -> str:
    raw = (os.environ.get(name) or default).rstrip("/")
    if not raw.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name}={raw!r} must be an http:// or https:// URL.")
    return raw
