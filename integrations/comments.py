"""A comment written on an issue in Tasklink is posted to the issue's linked tasks: per project
and plugin, opt-in (option `post_comments`), on the worker. Each plugin's `comment_remote`
records the write first, so the tracker's event about the new comment is not shown back.

A post that fails for good (the tracker refused it, it kept asking to slow down, nobody has a
working connection, the broker could not be reached to start it) is recorded on the comment's
activity, `data["post_failed"][provider][task id] = {"title", "tracker", "reason"}`: the issue
page says so under the comment, with a button that posts it again there
(`comment_post_retried`). A post that succeeds clears it."""

from __future__ import annotations

import logging
from collections.abc import Callable
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


def retry_issue_comment(
    sender: Any, issue: Issue, user: Any, activity: Activity, **kwargs: Any
) -> None:
    """Receiver of tracker.signals.comment_post_retried: post the comment again to each task
    it could not be posted to (and to no other: a task linked since was not asked for)."""
    failed: dict[str, list[str]] = {}

    def retrying(data: dict[str, Any]) -> None:
        for provider, tasks in (data.get("post_failed") or {}).items():
            failed[provider] = list(tasks)
            for entry in tasks.values():
                entry["retrying"] = True

    update_data(activity, retrying)
    for provider, tasks in failed.items():
        transaction.on_commit(partial(_queue, activity.pk, provider, tasks))


def _queue(activity_id: int, provider: str, tasks: list[str] | None = None) -> None:
    try:
        post_comment.delay(activity_id, provider, tasks)
    except Exception:  # the broker is down: the comment stays in Tasklink, and says so
        logger.exception("Could not queue posting comment %s to %s", activity_id, provider)
        _not_started(activity_id, provider, tasks)


NOT_STARTED = "Tasklink could not start posting it. Try again in a moment."


def _not_started(activity_id: int, provider: str, tasks: list[str] | None) -> None:
    """Record under the comment that its post did not start, on each linked task it was for
    (`tasks` for a retry; every linked task for a new comment), so it can be tried again."""
    from integrations.resolution import plugin_for

    plugin = plugin_for(provider)
    activity = Activity.objects.select_related("issue").filter(pk=activity_id).first()
    if activity is None or plugin is None:
        return
    mappings = plugin.linked_tasks(activity.issue)
    if tasks is not None:
        mappings = mappings.filter(external_id__in=tasks)
    linked = {mapping.external_id: mapping.title for mapping in mappings}
    if not linked and tasks is None:
        return

    def not_started(data: dict[str, Any]) -> None:
        for task in set(tasks or []) - set(linked):  # unlinked since: nothing to post to
            _forget_failure(data, provider, task)
        if linked:
            entries = data.setdefault("post_failed", {}).setdefault(provider, {})
            for task, title in linked.items():
                entries[task] = {"title": title, "tracker": plugin.title, "reason": NOT_STARTED}

    update_data(activity, not_started)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8)  # type: ignore[untyped-decorator]  # Celery has no types
def post_comment(
    self: Any, activity_id: int, provider: str, tasks: list[str] | None = None
) -> None:
    """Post the comment to each linked task (or to those of `tasks`, a retry) it was not
    posted to yet (safe to run twice)."""
    from integrations.resolution import plugin_for

    activity = (
        Activity.objects.select_related("issue", "user")
        .filter(pk=activity_id, kind=Activity.Kind.COMMENT)
        .first()
    )
    plugin = plugin_for(provider)
    if activity is None or plugin is None:
        return
    mappings = plugin.linked_tasks(activity.issue).select_related("created_by")
    if tasks is not None:
        mappings = mappings.filter(external_id__in=tasks)
        unlinked = set(tasks) - {m.external_id for m in mappings}
        if unlinked:  # nothing to post to any more: no notice either

            def forget(data: dict[str, Any]) -> None:
                for task in unlinked:
                    _forget_failure(data, provider, task)

            update_data(activity, forget)
    for mapping in mappings:
        if mapping.external_id in posted(activity, provider):
            continue
        try:
            post_one(plugin, activity, mapping)
        except ApiRateLimited as exc:
            if self.request.is_eager or self.request.retries >= self.max_retries:
                logger.warning("Comment %s not posted, %s is rate limiting", activity_id, provider)
                reason = f"{plugin.title} asked Tasklink to slow down (too many requests)."
                not_posted(activity, plugin, mapping, reason)
                continue
            raise self.retry(countdown=exc.retry_after or 30) from exc
        except ApiError as exc:
            logger.warning("Comment %s not posted to %s: %s", activity_id, mapping, exc)
            not_posted(activity, plugin, mapping, plugin.message_from_error(exc))
        except NoIdentity:
            logger.info("No identity posts comment %s to %s", activity.pk, mapping)
            reason = (
                f"Nobody who could post it has a working {plugin.title} connection: connect "
                f"{plugin.title} on the Connected identities page, then try again."
            )
            not_posted(activity, plugin, mapping, reason)


class NoIdentity(Exception):
    """Neither the author nor whoever linked the task can post at the tracker."""


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
        raise NoIdentity
    plugin.comment_remote(plugin.get_client(identity), mapping.external_id, text)

    def done(data: dict[str, Any]) -> None:
        tasks = data.setdefault("posted_to", {}).setdefault(plugin.slug, [])
        if mapping.external_id not in tasks:
            tasks.append(mapping.external_id)
        _forget_failure(data, plugin.slug, mapping.external_id)

    update_data(activity, done)


def not_posted(
    activity: Activity, plugin: IssueTrackerPlugin, mapping: ExternalIssue, reason: str
) -> None:
    """Record why the comment is not on the task, for the issue page to say under it."""

    def failed(data: dict[str, Any]) -> None:
        tasks = data.setdefault("post_failed", {}).setdefault(plugin.slug, {})
        tasks[mapping.external_id] = {
            "title": mapping.title,
            "tracker": plugin.title,
            "reason": reason,
        }

    update_data(activity, failed)


def _forget_failure(data: dict[str, Any], provider: str, task: str) -> None:
    failed = data.get("post_failed") or {}
    (failed.get(provider) or {}).pop(task, None)
    if failed.get(provider) == {}:
        del failed[provider]
    if not failed:
        data.pop("post_failed", None)


def update_data(activity: Activity, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the activity's data under a row lock (posts to several tasks or trackers may
    finish at once); `activity` sees the result."""
    with transaction.atomic():
        fresh = Activity.objects.select_for_update().get(pk=activity.pk)
        change(fresh.data)
        fresh.save(update_fields=["data"])
        activity.data = fresh.data


def _usable(plugin: IssueTrackerPlugin, user: Any) -> UserSocialAuth | None:
    identity = plugin.get_identity(user) if user is not None else None
    return None if identity is None or identities.needs_reconnect(identity) else identity


def author_name(user: Any) -> str:
    if user is None:
        return "Someone"
    return str(user.get_full_name() or user.email or user.username)
