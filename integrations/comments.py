"""A comment written on an issue in Tasklink is posted to the issue's linked tasks: per project
and plugin, opt-in (option `post_comments`), on the worker. Each plugin's `comment_remote`
records the write first, so the tracker's event about the new comment is not shown back."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction
from social_django.models import UserSocialAuth

from integrations import identities, registry
from integrations.base import IssueTrackerPlugin
from integrations.exceptions import ApiError, ApiRateLimited
from integrations.models import ExternalIssue
from tracker.models import Activity, Issue

logger = logging.getLogger("tasklink.comments")


def follow_issue_comment(
    sender: Any, issue: Issue, user: Any, activity: Activity, **kwargs: Any
) -> None:
    """Receiver of tracker.signals.issue_commented: queue one post per plugin that wants it."""
    for plugin in registry.plugins():
        if plugin.get_options(issue.project).get("post_comments") and (
            plugin.linked_tasks(issue).exists()
        ):
            transaction.on_commit(partial(_queue, activity.pk, plugin.slug))


def _queue(activity_id: int, provider: str) -> None:
    try:
        post_comment.delay(activity_id, provider)
    except Exception:  # the broker is down: the comment stays in Tasklink, said in the log
        logger.exception("Could not queue posting comment %s to %s", activity_id, provider)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8)  # type: ignore[untyped-decorator]  # Celery has no types
def post_comment(self: Any, activity_id: int, provider: str) -> None:
    """Post the comment to each linked task it was not posted to yet (safe to run twice)."""
    from integrations.resolution import plugin_for

    activity = (
        Activity.objects.select_related("issue", "user")
        .filter(pk=activity_id, kind=Activity.Kind.COMMENT)
        .first()
    )
    plugin = plugin_for(provider)
    if activity is None or plugin is None:
        return
    for mapping in plugin.linked_tasks(activity.issue).select_related("created_by"):
        if mapping.external_id in posted(activity, provider):
            continue
        try:
            post_one(plugin, activity, mapping)
        except ApiRateLimited as exc:
            if self.request.is_eager:
                logger.warning("Comment %s not posted, %s is rate limiting", activity_id, provider)
                return
            raise self.retry(countdown=exc.retry_after or 30) from exc
        except ApiError as exc:
            logger.warning("Comment %s not posted to %s: %s", activity_id, mapping, exc)


def posted(activity: Activity, provider: str) -> list[str]:
    return list((activity.data.get("posted_to") or {}).get(provider) or [])


def post_one(plugin: IssueTrackerPlugin, activity: Activity, mapping: ExternalIssue) -> None:
    """As the author when they connected the tracker; else as whoever linked the task, the
    author named in the text."""
    text = str(activity.data.get("text") or "")
    identity = _usable(plugin, activity.user)
    if identity is None:
        identity = _usable(plugin, mapping.created_by)
        text = f"{author_name(activity.user)} wrote in Tasklink: {text}"
    if identity is None:
        logger.info("No identity posts comment %s to %s", activity.pk, mapping)
        return
    plugin.comment_remote(plugin.get_client(identity), mapping.external_id, text)
    with transaction.atomic():
        fresh = Activity.objects.select_for_update().get(pk=activity.pk)
        done = fresh.data.setdefault("posted_to", {}).setdefault(plugin.slug, [])
        if mapping.external_id not in done:
            done.append(mapping.external_id)
        fresh.save(update_fields=["data"])
        activity.data = fresh.data


def _usable(plugin: IssueTrackerPlugin, user: Any) -> UserSocialAuth | None:
    identity = plugin.get_identity(user) if user is not None else None
    return None if identity is None or identities.needs_reconnect(identity) else identity


def author_name(user: Any) -> str:
    if user is None:
        return "Someone"
    return str(user.get_full_name() or user.email or user.username)
