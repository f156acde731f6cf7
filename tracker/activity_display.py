"""An issue's activity as the issue page words it: who did what to the issue or its tasks.

Worded here rather than in the template: the template needed some thirty variable lookups and
tags per entry, which made the activity list the page's costliest loop. The markup is the same;
every value is escaped (tracker.html.quick_format_html).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from tracker.html import quick_format_html
from tracker.links import http_url
from tracker.models import Activity

VERBS = {Activity.Kind.CREATE_ISSUE: "created", Activity.Kind.LINK_ISSUE: "linked"}
REMOTE_TEXT_CHARS = 300


@dataclass
class Line:
    html: SafeString  # "<strong>Ada</strong> linked Linear task <a …>‘Fix it’</a>"
    when: datetime
    iso: str  # as the template's date:'c' writes it
    activity_id: int = 0
    # A comment not posted to a linked task: why, per task (the template offers a retry).
    not_posted: tuple[SafeString, ...] = ()
    retryable: bool = False


def lines(activities: Iterable[Activity]) -> list[Line]:
    out = []
    for activity in activities:
        when = activity.date_added
        line = Line(describe(activity), when, timezone.localtime(when).isoformat(), activity.pk)
        failed = activity.data.get("post_failed") if isinstance(activity.data, dict) else None
        if failed and activity.kind == Activity.Kind.COMMENT:
            line.not_posted, line.retryable = not_posted(failed)
        out.append(line)
    return out


def not_posted(failed: dict) -> tuple[tuple[SafeString, ...], bool]:
    """What the integrations recorded (data["post_failed"][provider][task]): a sentence per
    task, and whether one may be tried again (not while a retry is under way)."""
    notes, retryable = [], False
    for tasks in failed.values():
        for entry in tasks.values():
            task = quick_format_html("{} task “{}”", entry.get("tracker", ""), entry.get("title"))
            if entry.get("retrying"):
                notes.append(quick_format_html("Posting to {} again…", task))
            else:
                notes.append(quick_format_html("Not posted to {}: {}", task, entry.get("reason")))
                retryable = True
    return tuple(notes), retryable


def describe(activity: Activity) -> SafeString:
    data = activity.data if isinstance(activity.data, dict) else {}
    if data.get("remote_actor"):
        # Someone at the tracker changed or commented on the task.
        quote = ""
        if data.get("text"):
            text = Truncator(data["text"]).chars(REMOTE_TEXT_CHARS)
            quote = quick_format_html(": <q>{}</q>", text)
        return quick_format_html(
            "<strong>{}</strong> {} the task {} in {}{}",
            data["remote_actor"],
            shown(data, "remote_action"),
            task_link(data, linked=True),
            shown(data, "provider_title"),
            quote,
        )
    if data.get("provider_title"):
        verb = VERBS.get(activity.kind, "unlinked")
        linked = activity.kind != Activity.Kind.UNLINK_ISSUE
        what = quick_format_html(
            "{} {} task {}", verb, data["provider_title"], task_link(data, linked=linked)
        )
    elif data.get("text"):
        what = quick_format_html("{}: {}", activity.get_kind_display(), data["text"])
    else:
        what = quick_format_html("{}", activity.get_kind_display())
    via = quick_format_html(" after a change in {}", data["via"]) if data.get("via") else ""
    return quick_format_html("<strong>{}</strong> {}{}", actor(activity), what, via)


def actor(activity: Activity) -> str:
    user = activity.user
    if user is None:
        return "Tasklink"
    return user.get_full_name() or user.email or user.username


def task_link(data: dict, *, linked: bool) -> SafeString:
    """‘title’, a link to the task when it has an http(s) address and is still linked."""
    url = http_url(data.get("url"))
    if url and linked:
        return quick_format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">‘{}’</a>',
            url,
            shown(data, "title"),
        )
    return quick_format_html("‘{}’", shown(data, "title"))


def shown(data: dict, key: str) -> object:
    """A value as the template showed it: nothing when missing."""
    value = data.get(key)
    return "" if value is None else value
