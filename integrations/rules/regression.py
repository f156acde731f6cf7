"""A regression reaches the issue's linked tasks: completed ones are reopened (per project, on
by default), and each gets one comment saying what regressed. Once per regression and task is
kept in the database (a `RegressionNotice` row, taken before the comment), not in the cache:
a cache flush, a restart or a redelivered follow-up never comments twice."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from social_django.models import UserSocialAuth

from integrations import identities
from integrations.base import IssueTrackerPlugin
from integrations.exceptions import ApiError, ApiRateLimited, ApiUnavailable
from integrations.models import ExternalIssue
from integrations.resolution import plugin_for
from integrations.rules import limits, settings
from integrations.rules.engine import BACKOFF_SECONDS, Later, note
from integrations.rules.models import RegressionNotice, Rule

State = RegressionNotice.State
# A notice taken by a worker that died is taken over after this long (longer than any call).
TAKEN_SECONDS = 300


def notices(issue_id: int, regression: str) -> list[int]:
    """The notices of one regression, one per linked task, made once however often the
    follow-up runs; those still to do (a rerun after a crash queues them again)."""
    to_do = []
    for mapping_id in ExternalIssue.objects.filter(issue_id=issue_id).values_list("pk", flat=True):
        notice, _ = RegressionNotice.objects.get_or_create(
            mapping_id=mapping_id, regression=regression
        )
        if notice.state in (State.PENDING, State.TAKEN):
            to_do.append(notice.pk)
    return to_do


def take(notice_id: int) -> RegressionNotice | None:
    """The notice, now this worker's to act on; None when it is done, or another worker is
    at it (one conditional UPDATE: of two workers, one gets the row)."""
    now = timezone.now()
    free = Q(state=State.PENDING) | Q(
        state=State.TAKEN, date_taken__lt=now - timedelta(seconds=TAKEN_SECONDS)
    )
    if not RegressionNotice.objects.filter(free, pk=notice_id).update(
        state=State.TAKEN, date_taken=now
    ):
        return None
    return RegressionNotice.objects.select_related(
        "mapping__issue__project", "mapping__created_by"
    ).get(pk=notice_id)


def tell(notice: RegressionNotice, failures: int) -> Later | None:
    """Act on a taken notice and record how it ended; a wait hands it back for the retry."""
    ended = notify(notice.mapping, failures)
    state = State.PENDING if isinstance(ended, Later) else ended
    RegressionNotice.objects.filter(pk=notice.pk).update(state=state)
    return ended if isinstance(ended, Later) else None


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


def notify(mapping: ExternalIssue, failures: int) -> Later | State:
    """Reopen (if completed and the project wants it) and comment on one linked task: DONE,
    FAILED (said on the issue), or Later."""
    plugin = plugin_for(mapping.provider)
    if plugin is None:
        return State.FAILED
    identity = identity_for(mapping, plugin)
    if identity is None:
        note(
            mapping.issue,
            f"The linked {plugin.title} task “{mapping.title}” was not told of "
            f"the regression: nobody with a connected {plugin.title} identity can act on it.",
        )
        return State.FAILED
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
        limits.throttled(identity, exc.retry_after or BACKOFF_SECONDS)
        return Later(exc.retry_after or BACKOFF_SECONDS)
    except ApiUnavailable as exc:
        if failures + 1 < 5:
            return Later(BACKOFF_SECONDS * 2**failures, failed=True)
        return tell_failure(mapping, plugin, exc)
    except ApiError as exc:
        return tell_failure(mapping, plugin, exc)
    return State.DONE


def tell_failure(mapping: ExternalIssue, plugin: IssueTrackerPlugin, exc: ApiError) -> State:
    """Say on the issue that the task was not updated; nothing more to do."""
    note(
        mapping.issue,
        f"The linked {plugin.title} task “{mapping.title}” was not updated for "
        f"the regression: {plugin.message_from_error(exc)}",
    )
    return State.FAILED
