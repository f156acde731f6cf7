"""Keep `Issue.has_task` true exactly while a task is linked to the issue.

The issue list filters and badges on that column (an index can hold the few linked issues)
instead of probing the links of every issue it walks. Every way a link comes or goes saves or
deletes an ExternalIssue row one by one (the plugin's create and link, rules and bulk runs
through the plugin, unlink, Django admin, cascades from a deleted issue, project or user), so
the model's signals see them all. Code that writes links in bulk (`bulk_create`, a queryset
`update` of `issue_id`, raw SQL) must call `refresh_has_task` itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef

from integrations.models import ExternalIssue
from tracker.models import Issue


def refresh_has_task(issue_ids: Iterable[int]) -> None:
    """Set has_task from the links the database holds now, in one UPDATE."""
    Issue.objects.filter(pk__in=list(issue_ids)).update(
        has_task=Exists(ExternalIssue.objects.filter(issue=OuterRef("pk")))
    )


def link_moving(sender: Any, instance: ExternalIssue, **kwargs: Any) -> None:
    """Before a full save of an existing link (admin's form may point it at another issue),
    note the issue it leaves."""
    update_fields = kwargs.get("update_fields")
    if instance._state.adding or (update_fields is not None and "issue" not in update_fields):
        return
    instance._left_issue_id = (  # type: ignore[attr-defined]
        ExternalIssue.objects.filter(pk=instance.pk).values_list("issue_id", flat=True).first()
    )


def link_saved(sender: Any, instance: ExternalIssue, created: bool, **kwargs: Any) -> None:
    left = instance.__dict__.pop("_left_issue_id", None)
    if left is not None and left != instance.issue_id:
        refresh_has_task([left])
    if not created and left is None:
        return
    # Conditional: an issue already marked is not written again.
    Issue.objects.filter(pk=instance.issue_id, has_task=False).update(has_task=True)
    _remember(instance, True)


def link_deleted(sender: Any, instance: ExternalIssue, **kwargs: Any) -> None:
    # Another task may still be linked: the database answers, in the same statement.
    refresh_has_task([instance.issue_id])
    if ExternalIssue.issue.is_cached(instance):
        instance.issue.refresh_from_db(fields=["has_task"])


def _remember(instance: ExternalIssue, value: bool) -> None:
    # The issue object in hand (a view's, the plugin's) says what the database now says.
    if ExternalIssue.issue.is_cached(instance):
        instance.issue.has_task = value
