"""The error-tracker side: organizations, their projects, issues, events and activity."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q, UniqueConstraint
from django.urls import reverse
from django.utils import timezone


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations"
    )
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        MEMBER = "member"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [UniqueConstraint(fields=["organization", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user) -> ProjectQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(organization__membership__user=user)

    def owned_by(self, user) -> ProjectQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            organization__membership__user=user,
            organization__membership__role=Membership.Role.OWNER,
        )

    def next_issue_number(self, project_id: int) -> int:
        # UPDATE ... SET counter = counter + 1 is atomic on every database, so two issues
        # created at once never share a number.
        self.filter(pk=project_id).update(issue_counter=models.F("issue_counter") + 1)
        return self.filter(pk=project_id).values_list("issue_counter", flat=True).get()


class Project(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60)
    # Prefix of the issues' short ids, e.g. BACKEND in BACKEND-1A.
    short_name = models.CharField(max_length=20)
    platform = models.CharField(max_length=30, blank=True)
    # Last issue number handed out; short ids are never reused.
    issue_counter = models.PositiveIntegerField(default=0)
    date_added = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            UniqueConstraint(fields=["organization", "slug"], name="unique_project_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating:
            # Every project can receive events from the moment it exists.
            ProjectKey.objects.create(project=self)


def new_public_key() -> str:
    return secrets.token_hex(16)


class ProjectKey(models.Model):
    """A client key: the public part of a project's DSN. SDKs send it with every event."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    public_key = models.CharField(max_length=32, unique=True, default=new_public_key)
    label = models.CharField(max_length=100, default="Default")
    is_active = models.BooleanField(default=True)
    # Events accepted per minute with this key; None means no limit.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date_added", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.public_key[:8]}…)"

    def dsn(self) -> str:
        """`http://<public key>@<host>/<project id>`, from APP_BASE_URL (path prefix kept)."""
        base = urlsplit(settings.APP_BASE_URL)
        prefix = base.path.rstrip("/")
        return f"{base.scheme}://{self.public_key}@{base.netloc}{prefix}/{self.project_id}"


def base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


class IssueQuerySet(models.QuerySet):
    def for_user(self, user) -> IssueQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(project__organization__membership__user=user)

    def search(self, query: str) -> IssueQuerySet:
        query = query.strip()
        if not query:
            return self
        return self.filter(Q(title__icontains=query) | Q(culprit__icontains=query))


class Issue(models.Model):
    class Level(models.TextChoices):
        FATAL = "fatal"
        ERROR = "error"
        WARNING = "warning"
        INFO = "info"
        DEBUG = "debug"

    class Status(models.TextChoices):
        UNRESOLVED = "unresolved"
        RESOLVED = "resolved"
        IGNORED = "ignored"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    culprit = models.CharField(max_length=500, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.ERROR)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNRESOLVED)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    event_count = models.PositiveIntegerField(default=0)
    user_count = models.PositiveIntegerField(default=0)
    # Whether any task at a tracker is linked to the issue: the list's "with a task" filter
    # and badge read this column instead of probing the links of every issue. The plugin
    # layer keeps it true (integrations/task_links.py); a plain save() never writes it.
    has_task = models.BooleanField(default=False, db_default=False, editable=False)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [UniqueConstraint(fields=["project", "number"], name="unique_issue_number")]
        indexes = [
            models.Index(fields=["-last_seen", "-id"], name="issue_recent"),
            models.Index(fields=["project", "status", "-last_seen"], name="issue_project_status"),
            models.Index(fields=["status", "-last_seen"], name="issue_status_recent"),
            # One project's issues of any status, newest first, e.g. a search within it.
            models.Index(fields=["project", "-last_seen"], name="issue_project_recent"),
            # "With a task": a few issues in many; only they are in the index.
            models.Index(
                fields=["status", "-last_seen", "-id"],
                condition=Q(has_task=True),
                name="issue_with_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_id} {self.title}"

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = Project.objects.next_issue_number(self.project_id)
        if not self._state.adding and kwargs.get("update_fields") is None:
            # An issue read before a task was linked must not write its stale has_task back:
            # only the plugin layer writes it (integrations/task_links.py).
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "has_task" and f.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("issue_detail", args=[self.pk])

    def top_tags(self, per_key: int = 3) -> dict[str, list[tuple[str, int]]]:
        """The most common values of each tag key: {"browser": [("Chrome 131", 12), …]}."""
        top: dict[str, list[tuple[str, int]]] = {}
        for tag in self.tag_values.order_by("key", "-times_seen", "value"):
            values = top.setdefault(tag.key, [])
            if len(values) < per_key:
                values.append((tag.value, tag.times_seen))
        return top

    @property
    def short_id(self) -> str:
        return f"{self.project.short_name}-{base36(self.number)}"

    def absolute_url(self) -> str:
        """The issue's URL outside the app, e.g. in the notes of a task at a tracker."""
        return settings.APP_BASE_URL + self.get_absolute_url()


class Event(models.Model):
    # No index of its own: event_issue_recent (issue, -timestamp) serves every lookup by
    # issue, and each index on this table is written by every event stored.
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    # The SDK's id: stored once per issue (unique_event_per_issue), which is what makes a
    # retried event or a worker's retried batch stored exactly once (ingest/store.py). Not
    # unique across the table: an index led by a random id sends every stored event to a
    # random page of an index as large as the table (tracker 0008).
    event_id = models.CharField(max_length=32)
    timestamp = models.DateTimeField(default=timezone.now)
    message = models.TextField(blank=True)
    exception_type = models.CharField(max_length=200, blank=True)
    exception_value = models.TextField(blank=True)
    # [{"filename", "function", "lineno", "context_line", "in_app"}], innermost frame last.
    frames = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    # {"method", "url", "headers", "query_string", "data"}
    request = models.JSONField(default=dict, blank=True)
    level = models.CharField(max_length=10, choices=Issue.Level.choices, default=Issue.Level.ERROR)
    platform = models.CharField(max_length=30, blank=True)
    release = models.CharField(max_length=200, blank=True)
    environment = models.CharField(max_length=64, blank=True)
    # When Tasklink accepted it; `timestamp` is when the SDK says it happened.
    received = models.DateTimeField(default=timezone.now)
    # The rest of the normalized event, as the issue page shows it: {"exceptions": [chain,
    # outermost first, each {"type", "value", "module", "mechanism", "frames": [...]}],
    # "breadcrumbs": [...], "user": {...}, "contexts": {...}, "sdk": {...}, "logentry": {...},
    # "transaction": str, "fingerprint": [...], "extra": {...}}.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "event_id"], name="unique_event_per_issue")
        ]
        indexes = [
            models.Index(fields=["issue", "-timestamp"], name="event_issue_recent"),
            # Retention deletes by age.
            models.Index(fields=["received"], name="event_received"),
        ]

    def __str__(self) -> str:
        return self.event_id

    def stacktrace_text(self) -> str:
        """The stack trace as Python prints it: used in the notes of tasks at trackers."""
        lines = ["Traceback (most recent call last):"]
        for frame in self.frames:
            lines.append(
                f'  File "{frame.get("filename", "?")}", line {frame.get("lineno", "?")}, '
                f"in {frame.get('function', '?')}"
            )
            if frame.get("context_line"):
                lines.append(f"    {frame['context_line'].strip()}")
        lines.append(f"{self.exception_type}: {self.exception_value}".strip(": "))
        return "\n".join(lines)


class GroupHash(models.Model):
    """A grouping hash of a project and the issue its events join (see ingest/grouping.py)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="group_hashes")
    hash = models.CharField(max_length=32)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="hashes")

    class Meta:
        constraints = [UniqueConstraint(fields=["project", "hash"], name="unique_group_hash")]

    def __str__(self) -> str:
        return self.hash


class IssueTag(models.Model):
    """How many of an issue's events carried a tag value (kept when events expire)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="tag_values")
    key = models.CharField(max_length=32)
    value = models.CharField(max_length=200)
    times_seen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["key", "-times_seen", "value"]
        constraints = [UniqueConstraint(fields=["issue", "key", "value"], name="unique_issue_tag")]

    def __str__(self) -> str:
        return f"{self.key}={self.value} ({self.times_seen})"


class IssueUser(models.Model):
    """One distinct user an issue's events came from: `Issue.user_count` counts these."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="users")
    # md5 of "id:…", "username:…", "email:…" or "ip:…", whichever the event has first.
    hash = models.CharField(max_length=32)

    class Meta:
        constraints = [UniqueConstraint(fields=["issue", "hash"], name="unique_issue_user")]

    def __str__(self) -> str:
        return self.hash


class Activity(models.Model):
    class Kind(models.TextChoices):
        FIRST_SEEN = "first_seen", "first saw this issue"
        REGRESSED = "regressed", "saw this resolved issue again"
        RESOLVED = "resolved", "resolved this issue"
        IGNORED = "ignored", "ignored this issue"
        REOPENED = "reopened", "reopened this issue"
        COMMENT = "comment", "commented"
        CREATE_ISSUE = "create_issue", "created a task"
        LINK_ISSUE = "link_issue", "linked a task"
        UNLINK_ISSUE = "unlink_issue", "unlinked a task"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="activities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Free-form details, e.g. {"provider": <plugin slug>, "title": …, "url": …} for task activity.
    data = models.JSONField(default=dict, blank=True)
    date_added = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date_added", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["issue", "-date_added"], name="activity_issue_recent")]

    def __str__(self) -> str:
        return f"{self.user or 'Tasklink'} {self.get_kind_display()}"
