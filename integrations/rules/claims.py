"""The claim that makes an automatic task one per issue: whoever creates a task without a
person asking for it (a rule's firing, a bulk run) takes the issue's `TaskClaim` first, so two
rules, two bulk runs, or a rule and a bulk run acting at once create one task, not two."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from social_django.models import UserSocialAuth

from integrations.base import IssueTrackerPlugin
from integrations.models import ExternalIssue
from integrations.rules.models import BulkRun, Firing, TaskClaim
from tracker.models import Issue

Holder = Firing | BulkRun

ALREADY_LINKED = "The issue already has a linked task."
TAKEN = "Another rule or bulk create is creating or created the task."


def holder_fields(holder: Holder) -> dict[str, Any]:
    return {"firing": holder} if isinstance(holder, Firing) else {"bulk_run": holder}


def take(issue: Issue, plugin: IssueTrackerPlugin, holder: Holder) -> str | None:
    """Take the issue's claim for `holder` (or find it is its own from an earlier attempt).
    None when the holder may create the task; otherwise why it must skip the issue."""
    mine = TaskClaim.objects.filter(issue=issue, provider=plugin.slug, **holder_fields(holder))
    if ExternalIssue.objects.filter(issue=issue, provider=plugin.slug).exists():
        # A person linked one, or the holder itself created it before a crash or redelivery.
        return None if mine.exists() else ALREADY_LINKED
    try:
        with transaction.atomic():
            TaskClaim.objects.create(issue=issue, provider=plugin.slug, **holder_fields(holder))
    except IntegrityError:
        if not mine.exists():
            return TAKEN
    return None


def release(holder: Holder, issue: Issue | None = None) -> None:
    """The creation failed for good: a later firing or run may try again."""
    claims = TaskClaim.objects.filter(**holder_fields(holder))
    if issue is not None:
        claims = claims.filter(issue=issue)
    claims.delete()


def create_task(
    plugin: IssueTrackerPlugin,
    holder: Holder,
    issue: Issue,
    user: Any,
    identity: UserSocialAuth,
    options: dict[str, Any],
    data: dict[str, Any],
) -> ExternalIssue:
    """Create the claimed task. The holder's key makes a retry after a crash find the stored
    mapping instead of creating the task again."""
    key = f"rule-firing-{holder.pk}" if isinstance(holder, Firing) else f"bulk-{holder.pk}"
    mapping, _ = plugin.create(
        issue=issue,
        user=user,
        identity=identity,
        options=options,
        data=data,
        idempotency_key=key,
    )
    return mapping
