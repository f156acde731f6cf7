"""Template tags for the issue page's plugin panels."""

from __future__ import annotations

from typing import Any

from django import template

from integrations import registry
from tracker.models import Issue

register = template.Library()


@register.simple_tag
def linked_tasks(issue: Issue, slug: str) -> list[dict[str, Any]]:
    """The issue's tasks at a plugin's tracker, from the database only (no tracker call): what
    the panel shows without JavaScript, before its own page is opened.

    As plain rows of the fields shown: every issue page renders this list (inside <noscript>),
    and whole models with their people cost more than the rest of the panel.
    """
    plugin = next((each for each in registry.plugins() if each.slug == slug), None)
    if plugin is None:
        return []
    tasks = plugin.linked_tasks(issue).select_related(None)
    return list(tasks.values(*NOSCRIPT_FIELDS))


NOSCRIPT_FIELDS = ("title", "url", "completed", "origin", "date_added")
