"""Requests, responses and Asana's error bodies, shared by the sandbox's handlers.

The handlers are plain functions from a `Request` to a `Response`, so they can be tested and
read without the socket plumbing in server.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, parse_qsl

JSON_TYPE = "application/json; charset=UTF-8"
HTML_TYPE = "text/html; charset=utf-8"

# The words Asana itself answers with (https://developers.asana.com/docs/errors and
# https://developers.asana.com/docs/rate-limits).
HELP = (
    "For more information on API status codes and how to handle them, read the docs on errors: "
    "https://developers.asana.com/docs/errors"
)
RATE_LIMITED = (
    "You've made too many requests and hit a rate limit. Please retry after the given amount of "
    "time."
)
SERVER_ERROR_PHRASE = "6 sad squid snuggle softly"
STATUS_MESSAGES = {
    400: "Bad Request",
    401: "Not Authorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    429: RATE_LIMITED,
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    base_url: str

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def form(self) -> dict[str, str]:
        """A form-encoded body (first value of each field)."""
        pairs = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        form: dict[str, str] = {}
        for key, value in pairs:
            form.setdefault(key, value)
        return form


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Refusal(Exception):
    """An Asana-shaped error; raised anywhere in an API handler, answered by the router."""

    def __init__(
        self, status: int, message: str | None = None, *, headers: list[tuple[str, str]] = ()
    ) -> None:
        self.status = status
        self.message = message or STATUS_MESSAGES.get(status) or HTTPStatus(status).phrase
        self.headers = list(headers)
        super().__init__(self.message)

    def response(self) -> Response:
        return asana_error(self.status, self.message, headers=self.headers)


def json_response(
    status: int,
    payload: Any,
    *,
    headers: list[tuple[str, str]] = (),
    pretty: bool = False,
) -> Response:
    text = json.dumps(payload, indent=2 if pretty else None, ensure_ascii=False)
    return Response(status, text.encode(), [("Content-Type", JSON_TYPE), *headers])


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """Asana's `{"errors": [...]}`: a help line on client errors, a phrase on server errors."""
    text = message or STATUS_MESSAGES.get(status) or HTTPStatus(status).phrase
    error: dict[str, str] = {"message": text}
    if status == 500:
        error["phrase"] = SERVER_ERROR_PHRASE
    elif status != 429:
        error["help"] = HELP
    return {"errors": [error]}


def asana_error(
    status: int, message: str | None = None, *, headers: list[tuple[str, str]] = ()
) -> Response:
    return json_response(status, error_body(status, message), headers=headers)


def html_response(status: int, page: str, *, headers: list[tuple[str, str]] = ()) -> Response:
    return Response(status, page.encode(), [("Content-Type", HTML_TYPE), *headers])


def redirect(location: str) -> Response:
    return Response(302, b"", [("Location", location), ("Cache-Control", "no-store")])


Handler = Callable[..., Response]


class Router:
    """Method + path pattern -> handler; `{name}` segments become keyword arguments."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method.upper(), re.compile(f"^{regex}/?$"), handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorate

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found and route_method == method.upper():
                return handler, found.groupdict()
        return None
