"""What happens when an issue event reaches the rules: which rules fire (in the request or
ingestion process, cheap: database reads only), and what a firing does on the worker (the
tracker call, with the claim that makes it happen once per issue)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from social_django.models import UserSocialAuth

from integrations import identities
from integrations.base import IssueTrackerPlugin
from integrations.exceptions import ApiError, ApiRateLimited, ApiUnauthorized, ApiUnavailable
from integrations.models import ExternalIssue
from integrations.resolution import plugin_for
from integrations.rules import claims, limits
from integrations.rules.models import Firing, Rule
from tracker.links import http_url
from tracker.models import Activity, Event, Issue

logger = logging.getLogger("tasklink.rules")

Outcome = Firing.Outcome
# 5xx and timeouts are tried this many times, waiting twice as long each time, then recorded.
MAX_FAILURES = 5
BACKOFF_SECONDS = 5
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True)
class Later:
    """The firing must wait `seconds` and run again."""

    seconds: float
    # Whether the wait follows a failure (5xx, timeout), which counts towards giving up.
    failed: bool = False


# --- choosing the rules that fire -------------------------------------------------------------


def fire_matching(issue: Issue, trigger: str, event: Event | None = None) -> list[Firing]:
    """Record a firing of each active rule of the issue's project that matches, and queue it."""
    from integrations.rules import tasks  # the tasks module imports this one

    rules = list(Rule.objects.filter(project_id=issue.project_id, trigger=trigger, enabled=True))
    if not rules:
        return []  # most projects: one indexed query per issue and batch, nothing else
    if event is None and trigger == Rule.Trigger.FREQUENCY:
        event = issue.events.first()  # the tags a frequency rule matches come from the latest
    tags = dict(event.tags) if event is not None and isinstance(event.tags, dict) else {}
    firings = []
    for rule in rules:
        if rule.paused_reason or not rule.matches(issue, tags):
            continue
        if trigger == Rule.Trigger.FREQUENCY and not frequency_reached(rule, issue):
            continue
        firing = Firing.objects.create(rule=rule, issue=issue, trigger=trigger)
        if ExternalIssue.objects.filter(issue=issue, provider=rule.plugin).exists():
            finish(firing, Outcome.SKIPPED, claims.ALREADY_LINKED)
            continue
        firings.append(firing)
        transaction.on_commit(partial(tasks.fire_rule.delay, firing.pk))
    return firings


def frequency_reached(rule: Rule, issue: Issue) -> bool:
    """More than `threshold` events in the last `window_minutes`, once per window."""
    since = timezone.now() - timedelta(minutes=rule.window_minutes)
    if Event.objects.filter(issue=issue, received__gte=since).count() <= rule.threshold:
        return False
    # One firing per rule and issue per window, however many batches arrive in it.
    return bool(cache.add(f"tasklink:rules:freq:{rule.pk}:{issue.pk}", 1, rule.window_minutes * 60))


# --- what a firing does on the worker ---------------------------------------------------------


def run_firing(firing: Firing) -> Later | None:
    """Create the rule's task for the issue, or say why not. Later when it must wait."""
    rule, issue = firing.rule, firing.issue
    plugin = plugin_for(rule.plugin)
    if plugin is None:
        return finish(firing, Outcome.FAILED, f"The “{rule.plugin}” integration is not installed.")
    identity = acting_identity(rule, plugin)
    if identity is None:
        return finish(firing, Outcome.FAILED, rule.paused_reason)
    options = plugin.get_options(issue.project)
    if not plugin.is_configured(options):
        pause(rule, f"{plugin.title} is not set up for this project: {plugin.setup_hint}")
        return finish(firing, Outcome.FAILED, rule.paused_reason)
    skip = claims.take(issue, plugin, firing)
    if skip:
        return finish(firing, Outcome.SKIPPED, skip)
    wait = limits.take_call(identity)
    if wait:
        return Later(wait)
    with limits.write_slot(identity) as free:
        if not free:
            return Later(1)
        return create_task(firing, plugin, identity, options)


def acting_identity(rule: Rule, plugin: IssueTrackerPlugin) -> UserSocialAuth | None:
    """The owner's identity, or None after pausing the rule with the reason."""
    identity = plugin.get_identity(rule.owner) if rule.owner else None
    if identity is None:
        pause(rule, f"{rule_owner(rule)} has no {plugin.title} identity connected.")
    elif identities.needs_reconnect(identity):
        pause(rule, f"{rule_owner(rule)} needs to reconnect {plugin.title}.")
        return None
    return identity


def rule_owner(rule: Rule) -> str:
    if rule.owner is None:
        return "The person who saved this rule is gone and"
    return rule.owner.get_full_name() or rule.owner.get_username()


def create_task(
    firing: Firing, plugin: IssueTrackerPlugin, identity: UserSocialAuth, options: dict[str, Any]
) -> Later | None:
    rule, issue = firing.rule, firing.issue
    data = plugin.rule_task_data(issue, rule.action)
    try:
        mapping = claims.create_task(plugin, firing, issue, rule.owner, identity, options, data)
    except ApiRateLimited as exc:
        # The tracker says when: not a failure, however often it happens. Every firing of
        # this identity waits with this one.
        limits.throttled(identity, exc.retry_after or BACKOFF_SECONDS)
        return Later(exc.retry_after or BACKOFF_SECONDS)
    except ApiUnavailable as exc:  # 5xx, timeouts, unreachable
        firing.attempts += 1
        firing.save(update_fields=["attempts"])
        if firing.attempts >= MAX_FAILURES:
            return give_up(firing, plugin, plugin.message_from_error(exc))
        return Later(min(BACKOFF_SECONDS * 2 ** (firing.attempts - 1), MAX_BACKOFF_SECONDS))
    except ApiUnauthorized as exc:
        pause(rule, plugin.message_from_error(exc))
        return give_up(firing, plugin, rule.paused_reason)
    except ApiError as exc:
        return give_up(firing, plugin, plugin.message_from_error(exc))
    firing.task_title, firing.task_url = mapping.title, http_url(mapping.url)
    return finish(firing, Outcome.CREATED, "")


def give_up(firing: Firing, plugin: IssueTrackerPlugin, reason: str) -> Later | None:
    # The claim goes, so a later firing may try again.
    claims.release(firing)
    note(
        firing.issue,
        f"Rule “{firing.rule.name}” could not create a task in {plugin.title}: {reason}",
    )
    logger.warning("Rule %s failed on issue %s: %s", firing.rule_id, firing.issue_id, reason)
    return finish(firing, Outcome.FAILED, reason)


def finish(firing: Firing, outcome: str, detail: str) -> Later | None:
    """Record how the firing ended; None: nothing more to do."""
    firing.outcome, firing.detail, firing.date_done = outcome, detail[:500], timezone.now()
    firing.save(update_fields=["outcome", "detail", "date_done", "task_title", "task_url"])
    return None


def pause(rule: Rule, reason: str) -> None:
    rule.paused_reason = reason[:300]
    Rule.objects.filter(pk=rule.pk).update(paused_reason=rule.paused_reason)


def note(issue: Issue, text: str) -> None:
    """A line on the issue's activity, from Tasklink itself: what automation could not do."""
    Activity.objects.create(issue=issue, kind=Activity.Kind.COMMENT, data={"text": text[:1000]})
