"""Resolving an issue completes its linked tasks, reopening reopens them: per project, opt-in.

The person's request only records the wish (a ResolutionSync, pending) and queues it; the
worker talks to the tracker and records done or failed, which the issue page shows.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from integrations import identities, registry
from integrations.base import IssueTrackerPlugin
from integrations.models import ResolutionSync
from tracker.models import Issue

COMPLETES: dict[str, bool] = {Issue.Status.RESOLVED: True, Issue.Status.UNRESOLVED: False}


def follow_issue_status(
    sender: Any, issue: Issue, user: Any, status: str, origin: str = "", **kwargs: Any
) -> list[str]:
    if status not in COMPLETES:
        return []  # ignoring an issue says nothing about its tasks
    messages = []
    for plugin in registry.plugins():
        if plugin.slug == origin or user is None:
            # From this tracker: pushing it back would loop. Without a person, no identity
            # may act on the other trackers.
            continue
        options = plugin.get_options(issue.project)
        if not options.get("sync_resolution") or not plugin.linked_tasks(issue).exists():
            continue
        identity = plugin.get_identity(user)
        if identity is None or identities.needs_reconnect(identity):
            problem = plugin.error_auth_not_configured
            messages.append(f"The linked {plugin.title} tasks were not updated: {problem}")
            continue
        queue(issue, plugin, user, COMPLETES[status])
    return messages


def queue(issue: Issue, plugin: IssueTrackerPlugin, user: Any, completed: bool) -> ResolutionSync:
    """Record the sync as pending and hand it to the worker once this transaction commits."""
    from integrations.rules import tasks

    sync, _ = ResolutionSync.objects.update_or_create(
        issue=issue,
        provider=plugin.slug,
        defaults={
            "completed": completed,
            "state": ResolutionSync.State.PENDING,
            "message": "",
            "user": user,
        },
    )
    transaction.on_commit(partial(tasks.sync_resolution.delay, sync.pk))
    return sync


def plugin_for(slug: str) -> IssueTrackerPlugin | None:
    return next((plugin for plugin in registry.plugins() if plugin.slug == slug), None)


def run(sync: ResolutionSync) -> None:
    """On the worker: update the tasks, then record how it went."""
    plugin = plugin_for(sync.provider)
    identity = plugin.get_identity(sync.user) if plugin and sync.user else None
    if plugin is None or identity is None or identities.needs_reconnect(identity):
        problem = plugin.error_auth_not_configured if plugin else "the integration is gone."
        return record(sync, ResolutionSync.State.FAILED, problem)
    failures = plugin.follow_resolution(
        issue=sync.issue, identity=identity, completed=sync.completed
    )
    if failures:
        text = "; ".join(f"{plugin.title} did not update {failure}" for failure in failures)
        return record(sync, ResolutionSync.State.FAILED, text)
    return record(sync, ResolutionSync.State.DONE, "")


def record(sync: ResolutionSync, state: str, message: str) -> None:
    sync.state, sync.message = state, message[:1000]
    sync.save(update_fields=["state", "message", "date_updated"])
