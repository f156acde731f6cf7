"""HTML rendered once for everyone who may see it, kept in the cache, and completed for each
request: the person's CSRF token and the relative times ("3 minutes ago") are holes in it.

A token must never be rendered into something another person is served, and a time worded
once would freeze; everything else in such a fragment is the same for every reader. While
`render_with_holes` renders, `csrf_token` is a marker and the `ago` filter (which `moment` and
the task lists use too) answers a marker; the rendered text is cut at the markers, and `fill`
puts the token and the words of the moment of the request in their place.

A marker holds a random nonce drawn for that rendering, so no text in the data (a title, a
comment) can pose as one.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Fragment:
    # The literal HTML around the holes: one part more than there are holes.
    parts: tuple[str, ...]
    # Each hole in order: None for the CSRF token, a datetime for how long ago it was.
    holes: tuple[datetime | None, ...]

    def fill(self, csrf_token: str, ago: Callable[[datetime], str]) -> SafeString:
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out.append(html.escape(csrf_token if hole is None else ago(hole)))
            out.append(part)
        # Our own templates' output, escaped when it was rendered; the fill-ins escaped here.
        return mark_safe("".join(out))


@dataclass
class _Recorder:
    nonce: str = field(default_factory=lambda: secrets.token_hex(12))
    holes: list[datetime | None] = field(default_factory=list)

    def marker(self, hole: datetime | None) -> str:
        # Letters, digits and dashes only: escaping leaves it as it is, wherever it lands.
        self.holes.append(hole)
        return f"hole-{self.nonce}-{len(self.holes) - 1}-"


_recording: ContextVar[_Recorder | None] = ContextVar("fragment_holes", default=None)


def deferred_ago(value: datetime) -> str | None:
    """A marker for `value` while a fragment renders (None otherwise): see the `ago` filter."""
    recorder = _recording.get()
    return None if recorder is None else recorder.marker(value)


def render_with_holes(template_name: str, context: dict[str, Any]) -> Fragment:
    """Renders `template_name` without a request (so nothing of the person's can reach it:
    no `user`, no `request`, no messages) into a Fragment."""
    recorder = _Recorder()
    token = _recording.set(recorder)
    try:
        context = {**context, "csrf_token": _CsrfMarker(recorder)}
        rendered = render_to_string(template_name, context)
    finally:
        _recording.reset(token)
    pieces = re.split(rf"hole-{recorder.nonce}-(\d+)-", rendered)
    parts, numbers = tuple(pieces[0::2]), [int(number) for number in pieces[1::2]]
    return Fragment(parts, tuple(recorder.holes[number] for number in numbers))


class _CsrfMarker:
    """The `csrf_token` of a fragment's context: a marker each time it is rendered, as
    Django's lazy token renders the person's token each time."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder

    def __str__(self) -> str:
        return self.recorder.marker(None)

    def __bool__(self) -> bool:
        return True
