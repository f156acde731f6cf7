"""A regression reaches the issue's linked tasks: completed ones are reopened (per project, on
by default), and each gets one comment saying what regressed."""

from __future__ import annotations

from django.core.cache import cache
from social_django.models import UserSocialAuth

from integrations import identities
from integrations.base import IssueTrackerPlugin
from integrations.exceptions import ApiError, ApiRateLimited, ApiUnavailable
from integrations.models import ExternalIssue
from integrations.resolution import plugin_for
from integrations.rules import limits, settings
from integrations.rules.engine import BACKOFF_SECONDS, Later, note
from integrations.rules.models import Rule

# A comment is remembered this long, so a redelivered task does not post it twice.
DONE_SECONDS = 7 * 24 * 3600


def comment_text(mapping: ExternalIssue, reopened: bool) -> str:
    issue = mapping.issue
    text = (
        f"Regression in {issue.project.name}: {issue.short_id} “{issue.title}” got a new event "
        f"after it was resolved. It has {issue.event_count} events now.\n{issue.absolute_url()}"
    )
    return text + ("\n\nTasklink reopened this task." if reopened else "")


def identity_for(mapping: ExternalIssue, plugin: IssueTrackerPlugin) -> UserSocialAuth | None:
    """Who acts on the task: whoever linked or created it, else an owner of one of the
    project's rules; only a usable identity."""
    people = [mapping.created_by] + [
        rule.owner
        for rule in Rule.objects.filter(project=mapping.issue.project).select_related("owner")
    ]
    for person in people:
        identity = plugin.get_identity(person) if person else None
        if identity is not None and not identities.needs_reconnect(identity):
            return identity
    return None


def notify(mapping: ExternalIssue, regression: str, failures: int) -> Later | None:
    """Reopen (if completed and the project wants it) and comment on one linked task."""
    done_key = f"tasklink:rules:regressed:{mapping.pk}:{regression}"
    if cache.get(done_key):
        return None
    plugin = plugin_for(mapping.provider)
    if plugin is None:
        return None
    identity = identity_for(mapping, plugin)
    if identity is None:
        note(
            mapping.issue,
            f"The linked {plugin.title} task “{mapping.title}” was not told of "
            f"the regression: nobody with a connected {plugin.title} identity can act on it.",
        )
        return None
    wait = limits.take_call(identity, calls=3)
    if wait:
        return Later(wait)
    client = plugin.get_client(identity)
    try:
        remote = plugin.fetch_remote(client, mapping.external_id)
        reopened = remote.completed and settings.reopens(mapping.issue.project)
        if reopened:
            plugin.complete_remote(client, mapping.external_id, False)
            mapping.completed = False
            mapping.save(update_fields=["completed"])
        plugin.comment_remote(client, mapping.external_id, comment_text(mapping, reopened))
    except ApiRateLimited as exc:
        return Later(exc.retry_after or BACKOFF_SECONDS)
    except ApiUnavailable as exc:
        if failures + 1 < 5:
            return Later(BACKOFF_SECONDS * 2**failures, failed=True)
        return tell_failure(mapping, plugin, exc)
    except ApiError as exc:
        return tell_failure(mapping, plugin, exc)
    cache.set(done_key, 1, DONE_SECONDS)
    return None


def tell_failure(mapping: ExternalIssue, plugin: IssueTrackerPlugin, exc: ApiError) -> Later | None:
    """Say on the issue that the task was not updated; nothing more to do."""
    note(
        mapping.issue,
        f"The linked {plugin.title} task “{mapping.title}” was not updated for "
        f"the regression: {plugin.message_from_error(exc)}",
    )
    return None
