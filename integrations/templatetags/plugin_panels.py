"""Template tags for the issue page's plugin panels."""

from __future__ import annotations

from django import template

from integrations import registry
from integrations.models import ExternalIssue
from tracker.models import Issue

register = template.Library()


@register.simple_tag
def linked_tasks(issue: Issue, slug: str) -> list[ExternalIssue]:
    """The issue's tasks at a plugin's tracker, from the database only (no tracker call): what
    the panel shows without JavaScript, before its own page is opened."""
    plugin = next((each for each in registry.plugins() if each.slug == slug), None)
    return list(plugin.linked_tasks(issue)) if plugin else []
