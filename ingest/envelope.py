"""Sentry's envelope format: a JSON header line, then items, each a JSON header line and a
payload (`length` bytes when the header says so, else up to the next newline).

Reference: https://develop.sentry.dev/sdk/data-model/envelopes/
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class MalformedEnvelope(Exception):
    """The body is not an envelope; the message says why (it is sent back as the 400 reason)."""


@dataclass
class Item:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        kind = self.headers.get("type")
        return kind if isinstance(kind, str) else ""


@dataclass
class Envelope:
    headers: dict[str, Any]
    items: list[Item] = field(default_factory=list)


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise MalformedEnvelope(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedEnvelope(f"{what} is not a JSON object")
    return value


def parse(body: bytes) -> Envelope:
    header_end = body.find(b"\n")
    if header_end == -1:
        header_end = len(body)
    envelope = Envelope(_json_object(body[:header_end], "envelope header"))
    position = header_end + 1
    while position < len(body):
        line_end = body.find(b"\n", position)
        if line_end == -1:
            line_end = len(body)
        line = body[position:line_end]
        position = line_end + 1
        if not line.strip():
            continue  # blank lines between items are tolerated, as Relay does
        headers = _json_object(line, "item header")
        length = headers.get("length")
        if length is None:
            payload_end = body.find(b"\n", position)
            if payload_end == -1:
                payload_end = len(body)
            payload = body[position:payload_end]
            position = payload_end + 1
        else:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise MalformedEnvelope("item length is not a non-negative integer")
            if position + length > len(body):
                raise MalformedEnvelope("item is shorter than its length")
            payload = body[position : position + length]
            position += length
            # The newline after a payload with a length is optional at the end only.
            if position < len(body):
                if body[position : position + 1] != b"\n":
                    raise MalformedEnvelope("item payload is not followed by a newline")
                position += 1
        envelope.items.append(Item(headers, payload))
    return envelope
