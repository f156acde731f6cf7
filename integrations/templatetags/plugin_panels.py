"""Template tags for the issue page's plugin panels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from integrations import registry
from integrations.models import ExternalIssue
from tracker.html import quick_format_html
from tracker.links import http_url
from tracker.models import Issue
from tracker.templatetags.tasklink import ago

register = template.Library()


@register.simple_tag
def linked_tasks(issue: Issue, slug: str) -> list[SafeString]:
    """The issue's tasks at a plugin's tracker, from the database only (no tracker call), each
    as an HTML list item: what the panel shows without JavaScript, before its own page is
    opened.

    Every issue page renders this list (inside <noscript>), for 20 tasks it cost more than the
    rest of the panel: so plain rows of the fields shown, worded here rather than in a
    template loop.
    """
    plugin = next((each for each in registry.plugins() if each.slug == slug), None)
    if plugin is None:
        return []
    tasks = plugin.linked_tasks(issue).select_related(None).values(*NOSCRIPT_FIELDS)
    return [noscript_task(task) for task in tasks]


def noscript_task(task: dict[str, Any]) -> SafeString:
    # Only ever an http(s) link, as everywhere a link comes from a tracker.
    url = http_url(task["url"])
    title = task["title"]
    if url:
        title = quick_format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, title)
    state = COMPLETED if task["completed"] else OPEN
    origin = "created" if task["origin"] == ExternalIssue.Origin.CREATED else "linked"
    added = task["date_added"]
    return quick_format_html(
        '<li>{}\n  <div class="task-meta">{} <span>{} <time datetime="{}">{}</time></span></div>'
        "\n</li>",
        title,
        state,
        origin,
        timezone.localtime(added).isoformat() if added else "",
        ago(added),
    )


COMPLETED = mark_safe('<span class="badge badge-completed">Completed</span>')
OPEN = mark_safe('<span class="badge">Open</span>')
NOSCRIPT_FIELDS = ("title", "url", "completed", "origin", "date_added")
