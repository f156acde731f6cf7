"""{% live_version issue as version %}: the issue page's starting point for live updates."""

from __future__ import annotations

from typing import Any

from django import template

from tracker.models import Issue

register = template.Library()


@register.simple_tag(takes_context=True)
def live_version(context: dict[str, Any], issue: Issue) -> str:
    from tracker.issue_page import live_version as version_of

    return version_of(context["request"].user, issue.pk) or ""
