"""What Tasklink remembers of remote trackers: issue <-> task mappings and per-project options."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

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
            models.UniqueConstraint(
                fields=["issue", "provider", "external_id"], name="unique_task_per_issue"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["provider", "external_id"], name="external_task")]

    def __str__(self) -> str:
        return f"{self.provider} task {self.external_id} on {self.issue_id}"

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
        constraints = [
            models.UniqueConstraint(fields=["project", "plugin"], name="unique_plugin_config")
        ]

    def __str__(self) -> str:
        return f"{self.plugin} settings for {self.project}"
