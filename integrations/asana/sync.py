"""Two-way sync: what happens in Asana reaches Tasklink.

Webhook deliveries (integrations/asana/webhooks.py stores them) and the periodic reconciliation
both end here. Neither trusts an event's order or content for state: a task's state is read
from Asana and compared with what Tasklink knew, so a duplicate, a late or a reordered event
changes nothing twice, and a dropped one is caught by the next reconciliation.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from social_django.models import UserSocialAuth

from integrations import identities
from integrations.asana.client import AsanaClient, gid
from integrations.exceptions import ApiError, ApiRateLimited
from integrations.models import (
    ExternalIssue,
    PluginConfig,
    ProcessedEvent,
    RemoteComment,
    RemoteWrite,
    SyncCursor,
    WebhookDelivery,
)
from tracker.models import Activity, Issue
from tracker.signals import issue_status_changed

logger = logging.getLogger("tasklink.asana.sync")

PROVIDER = "asana"
TASK_FIELDS = (
    "name,permalink_url,completed,due_on,assignee.name,workspace,"
    "memberships.project.name,memberships.section.name,modified_at"
)
STORY_FIELDS = "text,resource_subtype,created_by.name,target,created_at"
# A write Tasklink made is matched with its echo for this long.
ECHO_WINDOW = timedelta(minutes=10)
# A delivery still unprocessed after this long is taken up again by the reconciliation.
STALE_DELIVERY = timedelta(minutes=1)
KEEP_DELIVERIES = timedelta(days=7)
# The reconciliation asks a project for the tasks modified since its last read less this (the
# clocks of Tasklink and Asana differ a little), in pages of Asana's largest size
# (AsanaClient.page_limit).
CURSOR_MARGIN = timedelta(minutes=2)
EPOCH = datetime(2008, 1, 1, tzinfo=UTC)  # before Asana: "every task of the project"

# What the per-project options say Asana may change (PluginConfig.options keys).
COMPLETES_OFF, COMPLETES_ALL, COMPLETES_ANY = "off", "all", "any"


# --- echoes of Tasklink's own writes ------------------------------------------------------------


def expect_echo(external_id: str, field: str, value: Any) -> None:
    """Record a change Tasklink is about to make in Asana (call it before the write): when
    Asana reports it back, it is recognized as Tasklink's own and not acted on again."""
    RemoteWrite.objects.create(
        provider=PROVIDER, external_id=str(external_id), field=field, value=_echo_value(value)
    )


def take_echo(external_id: str, field: str, value: Any) -> bool:
    """Whether a recent write of Tasklink's matches this state; the match is used up."""
    since = timezone.now() - ECHO_WINDOW
    RemoteWrite.objects.filter(provider=PROVIDER, date_added__lt=since).delete()
    match = (
        RemoteWrite.objects.filter(
            provider=PROVIDER, external_id=str(external_id), field=field, value=_echo_value(value)
        )
        .order_by("date_added")
        .first()
    )
    if match is None:
        return False
    match.delete()
    return True


def _echo_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value).strip()


# --- scopes ------------------------------------------------------------------------------------

# What two-way sync needs beyond what connections made before it were granted.
SYNC_SCOPES = ("webhooks:write",)


def remember_scopes(backend: Any, social: Any = None, *args: Any, **kwargs: Any) -> None:
    """Pipeline step: what this connection was granted, to tell older ones what they lack."""
    if social is not None and backend.name == PROVIDER:
        social.extra_data["scopes"] = list(backend.get_scope())
        social.save(update_fields=["extra_data"])


def missing_scopes(identity: UserSocialAuth | None) -> list[str]:
    """The two-way sync scopes the identity was not granted (connected before they existed)."""
    if identity is None:
        return []
    granted = identity.extra_data.get("scopes") or []
    return [scope for scope in SYNC_SCOPES if scope not in granted and "default" not in granted]


# --- who reads Asana ----------------------------------------------------------------------------


def _identity_of(user_id: int) -> UserSocialAuth | None:
    return UserSocialAuth.objects.filter(user_id=user_id, provider=PROVIDER).order_by("-id").first()


def identity_for_task(external_id: str) -> UserSocialAuth | None:
    """A usable identity to read the task with: of whoever linked it, else of whoever set up
    the Asana settings of an issue's project."""
    mappings = ExternalIssue.objects.filter(provider=PROVIDER, external_id=external_id)
    users = [m.created_by_id for m in mappings if m.created_by_id]
    projects = mappings.values_list("issue__project", flat=True)
    users += list(
        PluginConfig.objects.filter(project__in=projects, plugin=PROVIDER)
        .exclude(updated_by=None)
        .values_list("updated_by", flat=True)
    )
    for user_id in users:
        identity = (
            UserSocialAuth.objects.filter(user_id=user_id, provider=PROVIDER)
            .order_by("-id")
            .first()
        )
        if identity is not None and not identities.needs_reconnect(identity):
            return identity
    return None


def read_task(client: AsanaClient, external_id: str) -> dict[str, Any]:
    # Reference: https://developers.asana.com/reference/gettask
    answer = client.get(f"/tasks/{gid(external_id)}", params={"opt_fields": TASK_FIELDS})
    task = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(task, dict) or not task.get("gid"):
        raise ApiError(502, "Asana answered without the task.")
    return task


def person_name(client: AsanaClient, user_gid: str | None) -> str:
    """The name of whoever made a change in Asana, cached for a day."""
    if not user_gid:
        return "Someone"
    key = f"tasklink:asana:person:{user_gid}"
    name: str | None = cache.get(key)
    if name is None:
        try:
            # Reference: https://developers.asana.com/reference/getuser
            answer = client.get(f"/users/{gid(user_gid)}", params={"opt_fields": "name"})
            name = str((answer.get("data") or {}).get("name") or "Someone")
        except ApiError:
            return "Someone"
        cache.set(key, name, 86400)
    return name


# --- a task's state, applied -------------------------------------------------------------------


def task_details(task: dict[str, Any]) -> dict[str, Any]:
    """The task card's fields from Asana's task JSON."""
    projects = []
    for membership in task.get("memberships") or []:
        project = membership.get("project") or {}
        section = membership.get("section") or {}
        if project.get("gid"):
            projects.append(
                {
                    "gid": str(project["gid"]),
                    "name": project.get("name") or "",
                    "section": section.get("name") or "",
                }
            )
    assignee = task.get("assignee") or {}
    return {
        "assignee": assignee.get("name") or "",
        "projects": projects,
        "due_on": task.get("due_on") or "",
        "workspace": str((task.get("workspace") or {}).get("gid") or ""),
        "modified_at": task.get("modified_at") or "",
    }


def apply_task(task: dict[str, Any], actor: str) -> list[ExternalIssue]:
    """Store the task's current state on every mapping of it; a change of completion shows in
    each issue's activity and may resolve or reopen the issue, as its project allows.
    Returns the mappings whose completion changed (none when it was Tasklink's own echo)."""
    external_id = str(task["gid"])
    completed = bool(task.get("completed"))
    with transaction.atomic():
        mappings = list(
            ExternalIssue.objects.select_for_update()
            .filter(provider=PROVIDER, external_id=external_id)
            .select_related("issue__project")
        )
        changed = [m for m in mappings if m.completed != completed]
        echo = bool(changed) and take_echo(external_id, "completed", completed)
        state = {
            "title": str(task.get("name") or "")[:1024] or external_id,
            "completed": completed,
            "details": task_details(task),
        }
        # Only what differs is written, with when: an issue page open on it shows the change
        # (live updates), and reading an unchanged task again costs no write.
        stale = [m.pk for m in mappings if any(getattr(m, k) != v for k, v in state.items())]
        if stale:
            ExternalIssue.objects.filter(pk__in=stale).update(**state, date_changed=timezone.now())
        if echo:
            return []
        for mapping in changed:
            mapping.completed = completed
            _remote_activity(mapping, actor, "completed" if completed else "reopened")
        for issue in {m.issue_id: m.issue for m in changed}.values():
            follow_task_status(issue, completed)
    return changed


def follow_task_status(issue: Issue, completed: bool) -> None:
    """Resolve or reopen the issue when its project lets Asana do so."""
    config = PluginConfig.objects.filter(project=issue.project_id, plugin=PROVIDER).first()
    options: dict[str, Any] = config.options if config else {}
    if completed and issue.status == Issue.Status.UNRESOLVED:
        mode = options.get("asana_completes", COMPLETES_OFF)
        tasks = ExternalIssue.objects.filter(issue=issue, provider=PROVIDER)
        if mode == COMPLETES_ANY or (
            mode == COMPLETES_ALL and not tasks.filter(completed=False).exists()
        ):
            _set_status(issue, Issue.Status.RESOLVED, Activity.Kind.RESOLVED)
    elif not completed and issue.status == Issue.Status.RESOLVED and options.get("asana_reopens"):
        _set_status(issue, Issue.Status.UNRESOLVED, Activity.Kind.REOPENED)


def _set_status(issue: Issue, status: str, kind: str) -> None:
    # Conditional: a person changing the status at the same moment wins, and no activity lies.
    if Issue.objects.filter(pk=issue.pk, status=issue.status).update(status=status):
        issue.status = status
        Activity.objects.create(issue=issue, user=None, kind=kind, data={"via": "Asana"})
        # Other receivers (rules, other trackers) hear of it; marked as Asana's, so the
        # resolution sync does not complete or reopen the task that caused it.
        issue_status_changed.send(Issue, issue=issue, user=None, status=status, origin=PROVIDER)


def _remote_activity(mapping: ExternalIssue, actor: str, action: str, **extra: Any) -> None:
    kind = {"completed": Activity.Kind.RESOLVED, "reopened": Activity.Kind.REOPENED}.get(
        action, Activity.Kind.COMMENT
    )
    Activity.objects.create(
        issue=mapping.issue,
        user=None,
        kind=kind,
        data={
            "provider": PROVIDER,
            "provider_title": "Asana",
            "remote_actor": actor,
            "remote_action": action,
            "title": mapping.title,
            "url": mapping.url if mapping.url.startswith(("https://", "http://")) else "",
            **extra,
        },
    )


def apply_comment(client: AsanaClient, story_gid: str, task_gid: str, actor_gid: str) -> None:
    """A comment added in Asana (a webhook event named it) shows in the activity of each issue
    linked to its task, unless the reconciliation showed it already."""
    # Reference: https://developers.asana.com/reference/getstory
    answer = client.get(f"/stories/{gid(story_gid)}", params={"opt_fields": STORY_FIELDS})
    story = {"gid": story_gid, **(answer.get("data") or {})}
    mappings = list(ExternalIssue.objects.filter(provider=PROVIDER, external_id=task_gid))
    if story.get("resource_subtype") in (None, "comment_added"):
        show_comment(story, task_gid, mappings, lambda: person_name(client, actor_gid))


@transaction.atomic
def show_comment(
    story: dict[str, Any],
    task_gid: str,
    mappings: list[ExternalIssue],
    actor: Callable[[], str] | None = None,
) -> bool:
    """The one rule of both paths (a delivery, the reconciliation): a comment shows once, in
    the activity of `mappings`, unless Tasklink wrote it. `actor` names its author when the
    story does not. Returns whether it was shown. One transaction: claimed means shown."""
    if not claim_comment(str(story["gid"]), task_gid):
        return False  # shown already, or one of Tasklink's own (mark_ours)
    text = str(story.get("text") or "")
    if take_echo(task_gid, "comment", text):
        return False  # Tasklink's, read before its write was answered (claimed now: for good)
    name = (story.get("created_by") or {}).get("name") or (actor() if actor else "Someone")
    for mapping in mappings:
        _remote_activity(mapping, name, "commented on", text=text[:2000], story=str(story["gid"]))
    return bool(mappings)


def claim_comment(story_gid: str, task_gid: str, *, ours: bool = False) -> bool:
    """Whether this is the first time Tasklink meets the comment; it is known from now on."""
    _, created = RemoteComment.objects.get_or_create(
        provider=PROVIDER,
        external_id=str(story_gid),
        defaults={"task": str(task_gid), "written_by_tasklink": ours},
    )
    return created


def mark_ours(task_gid: str, answer: Any) -> None:
    """The comment Tasklink just wrote (Asana answered with its story) is never shown back,
    however late either path reads it."""
    story = answer.get("data") if isinstance(answer, dict) else None
    if isinstance(story, dict) and story.get("gid"):
        RemoteComment.objects.update_or_create(
            provider=PROVIDER,
            external_id=str(story["gid"]),
            defaults={"task": str(task_gid), "written_by_tasklink": True},
        )


# --- deliveries ---------------------------------------------------------------------------------


def event_key(event: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()


def classify(
    events: Iterable[dict[str, Any]],
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """The tasks to read again ({gid: who changed it}) and comments to show
    ({story gid: (task gid, who)}), each once however many events name it."""
    tasks: dict[str, str] = {}
    comments: dict[str, tuple[str, str]] = {}
    for event in events:
        resource = event.get("resource") or {}
        parent = event.get("parent") or {}
        who = str((event.get("user") or {}).get("gid") or "")
        if resource.get("resource_type") == "task" and resource.get("gid"):
            tasks[str(resource["gid"])] = who
        elif (
            resource.get("resource_type") == "story"
            and resource.get("resource_subtype") == "comment_added"
            and event.get("action") == "added"
            and parent.get("resource_type") == "task"
        ):
            comments[str(resource["gid"])] = (str(parent["gid"]), who)
    return tasks, comments


def linked(gids: Iterable[str]) -> set[str]:
    return set(
        ExternalIssue.objects.filter(provider=PROVIDER, external_id__in=list(gids)).values_list(
            "external_id", flat=True
        )
    )


@shared_task(name="asana.process_delivery")  # type: ignore[untyped-decorator]  # Celery has no types
def process_delivery(delivery_id: int) -> int:
    """Apply one stored delivery; returns how many events were new. Safe to run twice."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, processed_at=None).first()
    if delivery is None:
        return 0
    try:
        events = json.loads(delivery.body).get("events") or []
    except (ValueError, AttributeError):
        events = []
    keys = {event_key(e): e for e in events if isinstance(e, dict)}
    seen = set(ProcessedEvent.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [e for k, e in keys.items() if k not in seen]
    tasks, comments = classify(fresh)
    ours = linked([*tasks, *(task for task, _ in comments.values())])
    for task_gid, who in tasks.items():
        if task_gid in ours:
            sync_task(task_gid, who)
    for story_gid, (task_gid, who) in comments.items():
        known = RemoteComment.objects.filter(provider=PROVIDER, external_id=story_gid)
        if task_gid in ours and not known.exists():  # a known one costs no read
            identity = identity_for_task(task_gid)
            if identity is not None:
                apply_comment(AsanaClient(auth=identity), story_gid, task_gid, who)
    ProcessedEvent.objects.bulk_create(
        [ProcessedEvent(key=k) for k in keys if k not in seen], ignore_conflicts=True
    )
    WebhookDelivery.objects.filter(pk=delivery_id).update(processed_at=timezone.now())
    return len(fresh)


def sync_task(task_gid: str, who: str = "") -> list[ExternalIssue]:
    """Read the task from Asana and apply it. `who` is the Asana user an event named."""
    client = client_for_task(task_gid)
    if client is None:
        return []
    task = read_task(client, task_gid)
    return apply_task(task, person_name(client, who) if who else "Someone")


def client_for_task(task_gid: str) -> AsanaClient | None:
    identity = identity_for_task(task_gid)
    if identity is None:
        logger.info("No usable Asana identity reads task %s; it waits for one", task_gid)
        return None
    return AsanaClient(auth=identity)


def queue_delivery(delivery_id: int) -> None:
    """Hand a stored delivery to the worker. Whatever fails here (the broker, or Asana while
    the task runs in-process), the delivery stays stored and the reconciliation takes it up."""
    try:
        process_delivery.delay(delivery_id)
    except Exception:
        logger.exception("Delivery %s left for the reconciliation", delivery_id)


# --- reconciliation -----------------------------------------------------------------------------


@shared_task(name="asana.reconcile")  # type: ignore[untyped-decorator]  # Celery has no types
def reconcile(full: bool = False) -> dict[str, int]:
    """Catch what webhooks missed: unprocessed deliveries, the linked tasks that changed (and
    the comments added to them), and webhooks Asana deleted. Per Asana project of linked tasks,
    one list of the tasks modified since the last read (`GET /tasks?project=…&modified_since=…`,
    pages of 100); tasks in no project (and any never read) one by one; the stories of each
    task that changed since its comments were read. `full` reads every linked task one by one
    (the daily sweep: it also catches a task moved out of the project it was watched in).
    Stops early when Asana asks to slow down; the next run goes on from where it was."""
    from integrations.asana import webhooks  # registration needs the sync; not the reverse

    retry_stale_deliveries()
    tally = {"read": 0, "changed": 0, "comments": 0}
    try:
        if full:
            read_each(sorted(linked_task_gids()), tally)
        else:
            read_what_changed(webhooks.needed_resources(), tally)
    except ApiRateLimited:
        logger.warning(
            "Asana asks to slow down: reconciliation stops after %s tasks", tally["read"]
        )
    webhooks.ensure_webhooks()
    forget_old_deliveries()
    return tally


def retry_stale_deliveries() -> None:
    stale = timezone.now() - STALE_DELIVERY
    for delivery_id in WebhookDelivery.objects.filter(
        processed_at=None, received_at__lt=stale
    ).values_list("pk", flat=True):
        try:
            process_delivery(delivery_id)
        except ApiError as exc:
            logger.warning("Delivery %s still failing: %s", delivery_id, exc)


def linked_task_gids() -> set[str]:
    return set(
        ExternalIssue.objects.filter(provider=PROVIDER).values_list("external_id", flat=True)
    )


def read_what_changed(needed: dict[str, tuple[str, str, set[str]]], tally: dict[str, int]) -> None:
    """Projects first, then the tasks read one by one: a task just found in a project is then
    covered by that project's cursor, which starts before the task was read."""
    everything = linked_task_gids()
    projects = {r: t for r, (kind, _, t) in needed.items() if kind == "project"}
    alone = everything - {t for task_gids in projects.values() for t in task_gids}
    for project_gid, task_gids in sorted(projects.items()):
        try:
            read_project(project_gid, task_gids, everything, tally)
        except ApiRateLimited:
            raise
        except ApiError as exc:  # the project is gone or hidden: its tasks are read alone
            logger.warning(
                "Reading Asana project %s failed (%s): tasks one by one", project_gid, exc
            )
            alone |= task_gids
    SyncCursor.objects.filter(provider=PROVIDER).exclude(resource__in=projects).delete()
    read_each(sorted(alone), tally)


def read_project(
    project_gid: str, task_gids: set[str], everything: set[str], tally: dict[str, int]
) -> None:
    """Apply every linked task of the project modified since its cursor; then move it on."""
    identity = next(filter(None, map(identity_for_task, sorted(task_gids))), None)
    if identity is None:
        return
    started = timezone.now()
    since = _cursor_start(project_gid, task_gids)
    client = AsanaClient(auth=identity)
    params: dict[str, Any] = {
        "project": gid(project_gid),
        "modified_since": since.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "opt_fields": TASK_FIELDS,
    }
    # Reference: https://developers.asana.com/reference/gettasks
    for task in client.all_pages("/tasks", params)["data"]:
        if isinstance(task, dict) and str(task.get("gid")) in everything:
            reconcile_task(client, task, tally)
    SyncCursor.objects.update_or_create(
        provider=PROVIDER, resource=project_gid, defaults={"read_until": started}
    )


def _cursor_start(project_gid: str, task_gids: set[str]) -> datetime:
    """Since when to ask: the last read of the project, or, the first time, the oldest state
    Tasklink stored of its tasks (Asana's own modified_at); less a margin for clocks."""
    cursor = SyncCursor.objects.filter(provider=PROVIDER, resource=project_gid).first()
    if cursor is not None:
        return cursor.read_until - CURSOR_MARGIN
    stored = ExternalIssue.objects.filter(provider=PROVIDER, external_id__in=task_gids)
    moments = [_moment(d.get("modified_at")) for d in stored.values_list("details", flat=True)]
    known = [m for m in moments if m is not None]
    oldest = min(known) if known and len(known) == len(moments) else EPOCH
    return oldest - CURSOR_MARGIN


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def read_each(task_gids: list[str], tally: dict[str, int]) -> None:
    for task_gid in task_gids:
        client = client_for_task(task_gid)
        if client is None:
            continue
        try:
            reconcile_task(client, read_task(client, task_gid), tally)
        except ApiRateLimited:
            raise
        except ApiError as exc:
            logger.warning("Reconciling task %s failed: %s", task_gid, exc)


def reconcile_task(client: AsanaClient, task: dict[str, Any], tally: dict[str, int]) -> None:
    tally["changed"] += len(apply_task(task, "Someone"))
    tally["read"] += 1
    tally["comments"] += read_comments(client, task)


def read_comments(client: AsanaClient, task: dict[str, Any]) -> int:
    """Show the comments added to the task since its comments were last read, as a dropped
    delivery would have: one read of its stories (pages of 100), only when its modified_at
    (which a new story moves) is past that read. Each issue shows only comments made after it
    linked the task (less a margin for clocks after the first read): a task's history is not
    poured into the activity. Returns how many were shown; a failed read is tried again next
    run (ApiRateLimited stops the reconciliation, as elsewhere)."""
    task_gid = str(task["gid"])
    modified = _moment(task.get("modified_at"))
    mappings = list(ExternalIssue.objects.filter(provider=PROVIDER, external_id=task_gid))
    read_until = [m.comments_read_at or m.date_added for m in mappings]
    if modified is None or not mappings or modified <= min(read_until):
        return 0
    starts = {m.pk: _comments_start(m) for m in mappings}
    shown = 0
    path = f"/tasks/{gid(task_gid)}/stories"
    try:
        # Reference: https://developers.asana.com/reference/getstoriesfortask
        stories = client.all_pages(path, {"opt_fields": STORY_FIELDS})["data"]
    except ApiRateLimited:
        raise
    except ApiError as exc:
        logger.warning("Reading the comments of task %s failed: %s", task_gid, exc)
        return shown
    for story in stories:
        if not isinstance(story, dict) or story.get("resource_subtype") != "comment_added":
            continue
        created = _moment(story.get("created_at")) or modified
        after_link = [m for m in mappings if created > starts[m.pk]]
        if after_link and show_comment(story, task_gid, after_link):
            shown += 1
    ExternalIssue.objects.filter(pk__in=starts).update(comments_read_at=modified)
    return shown


def _comments_start(mapping: ExternalIssue) -> datetime:
    """Comments made after this moment may be new to the mapping's issue."""
    if mapping.comments_read_at is None:
        return mapping.date_added
    return mapping.comments_read_at - CURSOR_MARGIN


def forget_old_deliveries() -> None:
    """Processed deliveries and their event keys are kept a week (Asana retries for a day);
    known comments as long as their task is linked."""
    before = timezone.now() - KEEP_DELIVERIES
    WebhookDelivery.objects.filter(processed_at__lt=before).delete()
    ProcessedEvent.objects.filter(date_added__lt=before).delete()
    RemoteComment.objects.filter(provider=PROVIDER, date_added__lt=before).exclude(
        task__in=ExternalIssue.objects.filter(provider=PROVIDER).values("external_id")
    ).delete()


def reconcile_interval() -> int:
    return int(settings.ASANA_RECONCILE_SECONDS)
