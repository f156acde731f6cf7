"""Template tags the tracker's pages load to show what automation is doing, without the
tracker importing integrations: `{% load automation %}`."""

from __future__ import annotations

from typing import Any

from django import template

from integrations import registry
from integrations.models import ResolutionSync
from integrations.rules.models import Rule
from tracker.models import Issue, Project

register = template.Library()


@register.inclusion_tag("integrations/rules/sync_status.html", takes_context=True)
def resolution_syncs(context: dict[str, Any], issue: Issue) -> dict[str, Any]:
    """The issue's resolution syncs: pending (polled by htmx), done, or failed with a retry."""
    titles = {plugin.slug: plugin.title for plugin in registry.plugins()}
    syncs = [
        (sync, titles.get(sync.provider, sync.provider))
        for sync in ResolutionSync.objects.filter(issue=issue)
    ]
    return {"issue": issue, "syncs": syncs, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("integrations/rules/paused_notice.html")
def paused_rules(project: Project) -> dict[str, Any]:
    """The project's paused rules and why: for the project page."""
    rules = Rule.objects.filter(project=project, enabled=True).exclude(paused_reason="")
    return {"project": project, "rules": list(rules)}


@register.inclusion_tag("integrations/bulk_actions.html", takes_context=True)
def bulk_actions(context: dict[str, Any]) -> dict[str, Any]:
    """The issue list's bulk buttons: one "Create <tracker> tasks" per plugin."""
    return {"plugins": registry.plugins(), "csrf_token": context.get("csrf_token")}
