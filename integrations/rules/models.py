"""A project's automation rules, each firing they did, and the claim that makes a task per issue
exactly one, whichever rule or worker fires first."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import UniqueConstraint
from django.utils import timezone

from tracker.models import Issue, Project

# Most severe first: a rule's "level at least X" keeps the levels up to and including X.
LEVEL_ORDER = [value for value, _ in Issue.Level.choices]


class Rule(models.Model):
    class Trigger(models.TextChoices):
        FIRST_SEEN = "first_seen", "A new issue is first seen"
        REGRESSED = "regressed", "An issue regresses"
        FREQUENCY = "frequency", "An issue gets more than N events in M minutes"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    # FREQUENCY: more than `threshold` events within `window_minutes`.
    threshold = models.PositiveIntegerField(default=100)
    window_minutes = models.PositiveIntegerField(default=60)
    min_level = models.CharField(max_length=10, choices=Issue.Level.choices, default="error")
    title_contains = models.CharField(max_length=200, blank=True)
    tag_key = models.CharField(max_length=64, blank=True)
    tag_value = models.CharField(max_length=200, blank=True)
    # The action: a task at this plugin's tracker, with the plugin's own choices (e.g.
    # project, section, assignee and their labels).
    plugin = models.CharField(max_length=30)
    action = models.JSONField(default=dict, blank=True)
    # The rule acts as this person's identity at the tracker: whoever saved it last.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # Set when the rule cannot act (identity gone or refused); cleared when saved again.
    paused_reason = models.CharField(max_length=300, blank=True)
    date_added = models.DateTimeField(default=timezone.now)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.enabled and not self.paused_reason

    def matches(self, issue: Issue, tags: dict[str, str]) -> bool:
        """The rule's conditions: level at least min_level, title and tag filters."""
        level = issue.level if issue.level in LEVEL_ORDER else "error"
        if LEVEL_ORDER.index(level) > LEVEL_ORDER.index(self.min_level):
            return False
        if self.title_contains and self.title_contains.lower() not in issue.title.lower():
            return False
        if self.tag_key and tags.get(self.tag_key) is None:
            return False
        return not (self.tag_key and self.tag_value and tags.get(self.tag_key) != self.tag_value)


class Firing(models.Model):
    """One time a rule fired on an issue: its history line and the issue's activity."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for the worker"
        CREATED = "created", "Created a task"
        SKIPPED = "skipped"
        FAILED = "failed"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="rule_firings")
    trigger = models.CharField(max_length=12, choices=Rule.Trigger.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    task_title = models.CharField(max_length=1024, blank=True)
    task_url = models.URLField(max_length=1024, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    date_added = models.DateTimeField(default=timezone.now)
    date_done = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date_added", "-id"]
        indexes = [models.Index(fields=["rule", "-date_added"], name="firing_rule_recent")]

    def __str__(self) -> str:
        return f"{self.rule} on {self.issue_id}: {self.outcome}"


class TaskClaim(models.Model):
    """The right to create the automatic task of an issue at one tracker, held by a rule's
    firing or a bulk run. The unique constraint is the guarantee: of two rules, two bulk runs
    or two workers acting at once, one inserts the claim, the other gets an IntegrityError and
    skips. Deleted again when the creation failed for good."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="task_claims")
    provider = models.CharField(max_length=30)
    firing = models.ForeignKey(
        Firing, null=True, blank=True, on_delete=models.CASCADE, related_name="claims"
    )
    bulk_run = models.ForeignKey(
        "BulkRun", null=True, blank=True, on_delete=models.CASCADE, related_name="claims"
    )
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            UniqueConstraint(fields=["issue", "provider"], name="unique_task_claim"),
            # Exactly one holder.
            models.CheckConstraint(
                condition=models.Q(firing__isnull=False, bulk_run__isnull=True)
                | models.Q(firing__isnull=True, bulk_run__isnull=False),
                name="task_claim_one_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} claim on {self.issue_id}"


class BulkRun(models.Model):
    """A person's "create tasks for these issues" from the issue list, run on the worker."""

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    provider = models.CharField(max_length=30)
    issue_ids = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # One entry per issue done: {"issue", "short_id", "title", "outcome", "detail", "url"}.
    results = models.JSONField(default=list, blank=True)
    date_added = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.provider} bulk create {self.pk} by {self.user_id}"

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result["outcome"] == outcome)


class RegressionNotice(models.Model):
    """That one linked task is told of one regression: the row is taken before the comment
    and marked done after it, so a redelivered or duplicated follow-up, on any worker, after
    any restart or cache flush, never comments twice. A new regression is a new row."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the worker"
        TAKEN = "taken", "A worker is telling the task"
        DONE = "done", "Told"
        FAILED = "failed", "Could not tell"

    mapping = models.ForeignKey(
        "integrations.ExternalIssue", on_delete=models.CASCADE, related_name="regression_notices"
    )
    # What identifies the regression: the event that regressed the issue (one per regression:
    # ingestion flips the issue's status under a row lock).
    regression = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # When a worker took it: a worker that died while holding it is taken over after a while.
    date_taken = models.DateTimeField(null=True, blank=True)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            UniqueConstraint(fields=["mapping", "regression"], name="unique_regression_notice")
        ]

    def __str__(self) -> str:
        return f"regression {self.regression} on task {self.mapping_id}: {self.state}"
