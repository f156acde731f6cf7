"""What Tasklink remembers of remote trackers: issue <-> task mappings and per-project options."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import UniqueConstraint
from django.utils import timezone
from django.utils.text import Truncator

from tracker.models import Issue, Project


class ExternalIssue(models.Model):
    """A task at a tracker linked to an issue. Several tasks may link to one issue."""

    class Origin(models.TextChoices):
        CREATED = "created", "Created from the issue"
        LINKED = "linked", "Linked to an existing task"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="external_issues")
    provider = models.CharField(max_length=30)
    external_id = models.CharField("task gid", max_length=64)
    title = models.CharField(max_length=1024)
    url = models.URLField(max_length=1024, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.CREATED)
    # Last known state of the task at the tracker, refreshed when the panel reads the task.
    completed = models.BooleanField(default=False)
    # What the task was created with ({"project", "project_label", "assignee",
    # "assignee_label"}): this person's defaults for their next task in the same project.
    choices = models.JSONField(default=dict, blank=True)
    # What the task card shows besides completion, as the tracker last reported it:
    # {"assignee": name, "projects": [{"gid", "name", "section"}], "due_on", "modified_at"}.
    # Kept fresh by webhook events and reconciliation; the same for every issue of the task.
    details = models.JSONField(default=dict, blank=True)
    # When Tasklink last stored a change of the task's state (completion, card): the issue
    # page's live updates compare it, so an unchanged task costs no rendering.
    date_changed = models.DateTimeField(null=True, blank=True)
    # The task's modified_at (the tracker's clock) when the reconciliation last read its
    # comments: it reads them again only once the task changed after that. Null: never read,
    # and then only comments made after the task was linked (date_added) are shown.
    comments_read_at = models.DateTimeField(null=True, blank=True)
    # One per rendered create form: a double submit or a second tab finds the mapping the
    # first submit stored instead of creating a second task.
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date_added", "-id"]
        verbose_name = "linked task"
        constraints = [
            UniqueConstraint(
                fields=["issue", "provider", "external_id"], name="unique_task_per_issue"
            ),
            UniqueConstraint(
                fields=["idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["provider", "external_id"], name="external_task")]

    def __str__(self) -> str:
        """What admin breadcrumbs and delete confirmations say, e.g.
        BACKEND-6 → <tracker> task “Fix login” (1200000000000052). Reads the issue and its
        project: querysets that list mappings select them (the admin does)."""
        from integrations.registry import plugin_title  # the registry imports this module

        title = Truncator(self.title).chars(80)
        tracker = plugin_title(self.provider)
        return f"{self.issue.short_id} → {tracker} task “{title}” ({self.external_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The URL comes from the tracker and ends up in an href: only web links, never
        # javascript: or data: URLs.
        if not self.url.lower().startswith(("https://", "http://")):
            self.url = ""
        super().save(*args, **kwargs)


class PluginConfig(models.Model):
    """A project's options for one plugin, e.g. {"workspace": "1200", "project": "", ...}."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="plugin_configs")
    plugin = models.CharField(max_length=30)
    options = models.JSONField(default=dict, blank=True)
    date_updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "plugin settings"
        verbose_name_plural = "plugin settings"
        constraints = [UniqueConstraint(fields=["project", "plugin"], name="unique_plugin_config")]

    def __str__(self) -> str:
        from integrations.registry import plugin_title  # the registry imports this module

        return f"{plugin_title(self.plugin)} settings for {self.project}"


# The rules package keeps its models beside its code; they belong to this app.
from integrations.rules.models import (  # noqa: E402, F401
    BulkRun,
    Firing,
    RegressionNotice,
    Rule,
    TaskClaim,
)


class Webhook(models.Model):
    """A subscription at a tracker to the changes of one resource (a project, or a task in no
    project), shared by every linked task it covers. Its receiver is /hooks/<provider>/<pk>/."""

    provider = models.CharField(max_length=30)
    resource = models.CharField("resource gid", max_length=64)
    resource_type = models.CharField(max_length=20)
    workspace = models.CharField(max_length=64, blank=True)
    # Whose token created it: the tracker ties a webhook to that person and app.
    identity = models.ForeignKey(
        "social_django.UserSocialAuth", null=True, blank=True, on_delete=models.SET_NULL
    )
    remote_id = models.CharField("webhook gid", max_length=64, blank=True)
    # Set by the handshake; deliveries are signed with it. Empty while the handshake is open.
    secret = models.CharField(max_length=128, blank=True)
    date_added = models.DateTimeField(default=timezone.now)
    last_delivery = models.DateTimeField(null=True, blank=True)
    # A registration the tracker refused (no remote_id): how often in a row, why, and when it
    # may be tried again (exponential backoff; the reconciliation covers the gap meanwhile).
    failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    retry_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            UniqueConstraint(fields=["provider", "resource"], name="unique_webhook_resource")
        ]

    def __str__(self) -> str:
        return f"{self.provider} webhook on {self.resource_type} {self.resource}"


class WebhookDelivery(models.Model):
    """A signed delivery as it arrived, stored before it is answered (accepted means stored),
    then processed on the worker."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    body = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["processed_at"], name="delivery_unprocessed")]

    def __str__(self) -> str:
        return f"delivery {self.pk} to {self.webhook_id}"


class SyncCursor(models.Model):
    """How far the reconciliation has read a tracker's project: the next run asks only for
    the tasks modified since `read_until` (minus a margin for clocks)."""

    provider = models.CharField(max_length=30)
    resource = models.CharField("project gid", max_length=64)
    read_until = models.DateTimeField()

    class Meta:
        constraints = [UniqueConstraint(fields=["provider", "resource"], name="unique_sync_cursor")]

    def __str__(self) -> str:
        return f"{self.provider} {self.resource} read until {self.read_until:%Y-%m-%d %H:%M:%S}"


class ProcessedEvent(models.Model):
    """One event handled: a duplicate delivery finds its key here and changes nothing."""

    key = models.CharField(max_length=64, unique=True)
    date_added = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class RemoteWrite(models.Model):
    """A change Tasklink itself made at a tracker, so that its echo (the tracker's event about
    it) is recognized and not taken for a person's change."""

    provider = models.CharField(max_length=30)
    external_id = models.CharField(max_length=64)
    field = models.CharField(max_length=30)
    value = models.TextField()
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["provider", "external_id"], name="remote_write_task")]

    def __str__(self) -> str:
        return f"{self.field}={self.value} on {self.provider} task {self.external_id}"


class ResolutionSync(models.Model):
    """The latest resolution sync of an issue's tasks at one tracker, as the issue page shows
    it: pending while the worker runs it, then done or failed (with the reason)."""

    class State(models.TextChoices):
        PENDING = "pending", "Updating"
        DONE = "done", "Updated"
        FAILED = "failed"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="resolution_syncs")
    provider = models.CharField(max_length=30)
    # What the tasks should become: completed (the issue was resolved) or open again.
    completed = models.BooleanField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    message = models.CharField(max_length=1000, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            UniqueConstraint(fields=["issue", "provider"], name="unique_resolution_sync")
        ]

    def __str__(self) -> str:
        return f"{self.provider} sync of {self.issue_id}: {self.state}"


class RemoteComment(models.Model):
    """A comment on a linked task that Tasklink already knows: shown in the activity of the
    task's issues, or written by Tasklink itself (never to be shown back as a person's).
    Webhook deliveries and the reconciliation both claim a comment here before showing it, so
    it shows once whichever path reads it first. Kept while the task is linked, not a week as
    ProcessedEvent: the reconciliation may read an older comment again after a long gap."""

    provider = models.CharField(max_length=30)
    external_id = models.CharField("comment id", max_length=64)
    task = models.CharField("task id", max_length=64, blank=True)
    written_by_tasklink = models.BooleanField(default=False)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [UniqueConstraint(fields=["provider", "external_id"], name="unique_comment")]

    def __str__(self) -> str:
        return f"{self.provider} comment {self.external_id} on task {self.task}"
