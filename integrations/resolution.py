"""Resolving an issue completes its linked tasks, reopening reopens them: per project, opt-in."""

from __future__ import annotations

from typing import Any

from integrations import identities, registry
from tracker.models import Issue

COMPLETES: dict[str, bool] = {Issue.Status.RESOLVED: True, Issue.Status.UNRESOLVED: False}


def follow_issue_status(
    sender: Any, issue: Issue, user: Any, status: str, **kwargs: Any
) -> list[str]:
    if status not in COMPLETES:
        return []  # ignoring an issue says nothing about its tasks
    messages = []
    for plugin in registry.plugins():
        options = plugin.get_options(issue.project)
        if not options.get("sync_resolution") or not plugin.linked_tasks(issue).exists():
            continue
        identity = plugin.get_identity(user)
        if identity is None or identities.needs_reconnect(identity):
            problem = plugin.error_auth_not_configured
            messages.append(f"The linked {plugin.title} tasks were not updated: {problem}")
            continue
        failures = plugin.follow_resolution(
            issue=issue, identity=identity, completed=COMPLETES[status]
        )
        messages += [f"{plugin.title} did not update {failure}" for failure in failures]
    return messages
