"""Group events into issues and store them: many events per transaction, each exactly once.

`drain()` is what the worker runs: it claims spooled events (ingest.PendingEvent) with
`SELECT … FOR UPDATE SKIP LOCKED`, stores them, and deletes them in the same transaction. A
worker killed mid-batch rolls back and the rows wait for the next drain; an event already
stored for its issue (same event_id) is skipped, so a retried event is never stored twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from ingest import grouping, queue
from ingest.models import PendingEvent
from ingest.normalize import normalize
from tracker.models import Activity, Event, GroupHash, Issue, IssueTag, IssueUser
from tracker.signals import issue_events_added, issue_first_seen, issue_regressed

log = logging.getLogger(__name__)

BATCH_SIZE = 200
T = TypeVar("T", PendingEvent, queue.Queued)
MAX_DEPTH = 24


@dataclass
class Incoming:
    project_id: int
    event_id: str
    payload: dict
    received: datetime


@dataclass
class Outcome:
    """What a stored batch tells the rest of Tasklink, sent once the transaction committed."""

    first_seen: list[tuple[Issue, Event]] = field(default_factory=list)
    regressed: list[tuple[Issue, Event]] = field(default_factory=list)
    added: dict[int, tuple[Issue, int]] = field(default_factory=dict)
    stored: int = 0

    def send(self) -> None:
        for issue, event in self.first_seen:
            issue_first_seen.send(sender=Issue, issue=issue, event=event)
        for issue, event in self.regressed:
            issue_regressed.send(sender=Issue, issue=issue, event=event)
        for issue, count in self.added.values():
            issue_events_added.send(sender=Issue, issue=issue, count=count)


def clean(value: Any, depth: int = 0) -> Any:
    """JSON any database accepts: no NUL characters, no lone surrogates, bounded depth."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if depth >= MAX_DEPTH and isinstance(value, dict | list):
        return "<too deep>"
    if isinstance(value, dict):
        return {clean(key, depth): clean(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item, depth + 1) for item in value]
    return value


def user_hash(user: dict) -> str | None:
    for key, label in (("id", "id"), ("username", "username"), ("email", "email")):
        if user.get(key) not in (None, "", [], {}):
            return hashlib.md5(f"{label}:{user[key]}".encode()).hexdigest()
    if user.get("ip_address"):
        return hashlib.md5(f"ip:{user['ip_address']}".encode()).hexdigest()
    return None


def drain(batch_size: int = BATCH_SIZE, max_batches: int = 1000) -> int:
    """Store spooled events until none are left (or max_batches); returns how many."""
    total = 0
    for _ in range(max_batches):
        claimed, stored = drain_batch(batch_size)
        total += stored
        if claimed < batch_size:
            break
    return total


def drain_batch(batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Claim up to batch_size spooled events and store them: (claimed, stored)."""
    with transaction.atomic():
        rows = list(
            PendingEvent.objects.select_for_update(skip_locked=True).order_by("id")[:batch_size]
        )
        if not rows:
            return 0, 0
        outcome, failed = _store_or_isolate(rows, _incoming_row)
        PendingEvent.objects.filter(pk__in=[row.pk for row in rows if row not in failed]).delete()
        transaction.on_commit(outcome.send)
    return len(rows), outcome.stored


def drain_queue(batch_size: int = BATCH_SIZE, owner: str = "", max_batches: int = 1000) -> int:
    """Store the events of the Redis queue until none are left (or max_batches): claim a
    batch, store it in one transaction, and forget the claim only once that committed."""
    total = 0
    for _ in range(max_batches):
        claim = queue.take(batch_size, owner)
        if claim is None:
            break
        with transaction.atomic():
            outcome, failed = _store_or_isolate(claim.events, _incoming_queued)
            # What the database refused waits in the spool, as a spooled event would.
            spool(failed)
            transaction.on_commit(outcome.send)
        queue.release(claim)
        total += outcome.stored
        if len(claim.events) < batch_size:
            break
    return total


def spool(events: list[queue.Queued]) -> None:
    """Keep events in the database spool (one INSERT). The same event_id still waiting for
    the same project is an SDK's retry: kept once."""
    if not events:
        return
    table = PendingEvent._meta.db_table
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(events))
    params = [
        value
        for event in events
        for value in (event.project_id, event.event_id, event.payload.decode(), event.received)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (project_id, event_id, payload, received) VALUES {rows} "
            "ON CONFLICT (project_id, event_id) DO NOTHING",
            params,
        )


def _store_or_isolate(
    sources: list[T], incoming: Callable[[T], Incoming]
) -> tuple[Outcome, list[T]]:
    """Store all in one transaction (the caller's); if the database refuses, one by one, so
    that one bad event does not hold back the others. Returns the outcome and what failed."""
    try:
        with transaction.atomic():
            return store(incoming(source) for source in sources), []
    except Exception:
        log.exception("storing a batch of %d events failed; storing them one by one", len(sources))
    total, failed = Outcome(), []
    for source in sources:
        try:
            with transaction.atomic():
                outcome = store([incoming(source)])
        except Exception:
            log.exception("event %s could not be stored; it stays spooled", source.event_id)
            failed.append(source)
            continue
        total.first_seen += outcome.first_seen
        total.regressed += outcome.regressed
        for issue_id, (issue, count) in outcome.added.items():
            total.added[issue_id] = (issue, total.added.get(issue_id, (issue, 0))[1] + count)
        total.stored += outcome.stored
    return total, failed


# The only ways valid UTF-8 JSON text yields a NUL or a lone surrogate: escapes. Most events
# have neither and skip the walk through `clean`.
SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|d[89a-f])", re.IGNORECASE)


def _incoming(project_id: int, event_id: str, text: str, received: datetime) -> Incoming:
    payload = json.loads(text)
    if SUSPECT_ESCAPE.search(text):
        payload = clean(payload)
    return Incoming(project_id, event_id, payload, received)


def _incoming_row(row: PendingEvent) -> Incoming:
    return _incoming(row.project_id, row.event_id, row.payload, row.received)


def _incoming_queued(event: queue.Queued) -> Incoming:
    return _incoming(event.project_id, event.event_id, event.payload.decode(), event.received)


def store(incoming) -> Outcome:
    """Store events (in the caller's transaction) and say what happened to their issues.
    Payloads must be `clean` (the spool's are, see _incoming)."""
    outcome = Outcome()
    prepared = []
    for item in incoming:
        data = normalize(item.payload, item.received)
        key = (item.project_id, grouping.grouping_hash(data))
        prepared.append((key, item, data))
    if not prepared:
        return outcome

    issue_ids = _issue_ids(prepared, outcome)
    grouped: dict[int, dict[str, tuple[Incoming, dict]]] = defaultdict(dict)
    for key, item, data in prepared:
        grouped[issue_ids[key]].setdefault(item.event_id, (item, data))

    # Lock the issues in id order (no deadlock between workers); FOR NO KEY UPDATE does not
    # block the events' foreign keys.
    issues = Issue.objects.select_for_update(no_key=True).in_bulk(sorted(grouped))
    # An event is stored once per issue (an SDK's retry, a batch retried after its worker
    # died). Looked for under the issues' locks: a worker storing the same events at the same
    # moment (a claim taken back from a worker that was only slow) has committed them by now.
    already = _events({issue_id: list(items) for issue_id, items in grouped.items()})
    for issue_id, event_id in already.values_list("issue_id", "event_id"):
        del grouped[issue_id][event_id]
    by_issue = {issue_id: list(items.values()) for issue_id, items in grouped.items() if items}
    if not by_issue:
        return outcome
    events = []
    tag_counts: Counter[tuple[int, str, str]] = Counter()
    users: set[tuple[int, str]] = set()
    for issue_id, items in by_issue.items():
        for item, data in items:
            events.append(_event(issue_id, item, data))
            for key, value in data["tags"].items():
                tag_counts[(issue_id, key, value)] += 1
            hashed = user_hash(data["data"]["user"])
            if hashed:
                users.add((issue_id, hashed))
    _insert_events(events)
    new_users = _add_users(users)
    _add_tags(tag_counts)
    first_event = {e.issue_id: e for e in reversed(events)}
    for issue_id, items in by_issue.items():
        issue = issues[issue_id]
        user_count = issue.user_count + new_users[issue_id]
        _update_issue(issue, items, user_count, first_event[issue_id], outcome)
        outcome.added[issue_id] = (issue, len(items))
    outcome.first_seen = [(issues[i.pk], first_event[i.pk]) for i, _ in outcome.first_seen]
    # Receivers get saved events (with their pk): only those the signals name are read back.
    named: dict[int, list[str]] = defaultdict(list)
    for issue, event in outcome.first_seen + outcome.regressed:
        named[issue.pk].append(event.event_id)
    saved = {(e.issue_id, e.event_id): e for e in _events(named)}
    outcome.first_seen = [(i, saved[i.pk, e.event_id]) for i, e in outcome.first_seen]
    outcome.regressed = [(i, saved[i.pk, e.event_id]) for i, e in outcome.regressed]
    outcome.stored = len(events)
    return outcome


def _events(event_ids: dict[int, list[str]]):
    """The stored events of these issues with these event_ids: one index scan per issue."""
    wanted = Q(pk__in=[])  # nothing, when no issue is given
    for issue_id, ids in event_ids.items():
        wanted |= Q(issue_id=issue_id, event_id__in=ids)
    return Event.objects.filter(wanted).order_by()


def _issue_ids(prepared, outcome: Outcome) -> dict[tuple[int, str], int]:
    """The issue of each grouping key, creating issues for keys seen for the first time."""
    keys = {key for key, _, _ in prepared}
    found = {
        (project_id, hash_): issue_id
        for project_id, hash_, issue_id in GroupHash.objects.filter(
            project_id__in={p for p, _ in keys}, hash__in={h for _, h in keys}
        ).values_list("project_id", "hash", "issue_id")
    }
    first_of = {}
    for key, item, data in prepared:
        first_of.setdefault(key, (item, data))
    # Sorted, so two workers creating issues take their locks in the same order.
    for key in sorted(keys - found.keys()):
        item, data = first_of[key]
        try:
            with transaction.atomic():
                issue = Issue.objects.create(
                    project_id=key[0],
                    title=grouping.title(data),
                    culprit=grouping.culprit(data),
                    level=data["level"],
                    first_seen=data["timestamp"],
                    last_seen=data["timestamp"],
                )
                GroupHash.objects.create(project_id=key[0], hash=key[1], issue=issue)
        except IntegrityError:
            # Another worker created this group since we looked: join its issue.
            found[key] = GroupHash.objects.get(project_id=key[0], hash=key[1]).issue_id
            continue
        Activity.objects.create(
            issue=issue, kind=Activity.Kind.FIRST_SEEN, date_added=issue.first_seen
        )
        found[key] = issue.pk
        outcome.first_seen.append((issue, None))
    return found


def _event(issue_id: int, item: Incoming, data: dict) -> Event:
    return Event(
        issue_id=issue_id,
        event_id=item.event_id,
        timestamp=data["timestamp"],
        received=item.received,
        message=data["message"],
        exception_type=data["exception_type"],
        exception_value=data["exception_value"],
        frames=data["frames"],
        tags=data["tags"],
        request=data["request"],
        level=data["level"],
        platform=data["platform"],
        release=data["release"],
        environment=data["environment"],
        data=data["data"],
    )


def _update_issue(issue: Issue, items, user_count: int, first: Event, outcome: Outcome) -> None:
    new = issue.event_count == 0
    # The newest by timestamp; among equal ones, the last received.
    latest_item, latest = max(reversed(items), key=lambda pair: pair[1]["timestamp"])
    fields = ["event_count", "user_count", "first_seen", "last_seen"]
    issue.event_count += len(items)
    issue.user_count = user_count
    issue.first_seen = min(issue.first_seen, *(data["timestamp"] for _, data in items))
    if latest["timestamp"] >= issue.last_seen or new:
        # The newest event names the issue, as in Sentry.
        issue.last_seen = latest["timestamp"]
        issue.title, issue.culprit = grouping.title(latest), grouping.culprit(latest)
        issue.level = latest["level"]
        fields += ["title", "culprit", "level"]
    if issue.status == Issue.Status.RESOLVED:
        issue.status = Issue.Status.UNRESOLVED
        fields.append("status")
        Activity.objects.create(
            issue=issue,
            kind=Activity.Kind.REGRESSED,
            data={"event_id": latest_item.event_id},
        )
        outcome.regressed.append((issue, first))
    issue.save(update_fields=fields)


EVENT_COLUMNS = [
    "issue_id", "event_id", "timestamp", "received", "message", "exception_type",
    "exception_value", "frames", "tags", "request", "level", "platform", "release",
    "environment", "data",
]  # fmt: skip
JSON_COLUMNS = {"frames", "tags", "request", "data"}
DATE_COLUMNS = {"timestamp", "received"}


def _insert_events(events: list[Event]) -> None:
    """One pipelined executemany. (bulk_create on PostgreSQL sends UNNEST arrays, and psycopg
    escapes every quote of every JSON document for the array literal: 40% of a batch.)"""
    ops = connection.ops

    def value(event: Event, column: str):
        raw = getattr(event, column)
        if column in JSON_COLUMNS:
            return ops.adapt_json_value(raw, None)
        if column in DATE_COLUMNS:
            return ops.adapt_datetimefield_value(raw)
        return raw

    table = Event._meta.db_table
    sql = (
        f"INSERT INTO {table} ({', '.join(EVENT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[value(e, c) for c in EVENT_COLUMNS] for e in events])


def _add_users(users: set[tuple[int, str]]) -> Counter[int]:
    """Record the (issue, user hash) pairs not seen before; returns how many each issue gained.
    Counting what a batch adds, not all of an issue's users again, keeps a batch's cost to its
    own events however many users a busy issue has; the caller holds the issues' locks, so
    no other worker adds to the same count meanwhile."""
    if not users:
        return Counter()
    table = IssueUser._meta.db_table
    rows = ", ".join(["(%s, %s)"] * len(users))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (issue_id, hash) VALUES {rows} "
            "ON CONFLICT (issue_id, hash) DO NOTHING RETURNING issue_id",
            [value for pair in sorted(users) for value in pair],
        )
        return Counter(issue_id for (issue_id,) in cursor.fetchall())


def _add_tags(counts: Counter[tuple[int, str, str]]) -> None:
    """Add to each (issue, key, value)'s count in one statement per row, race-free."""
    if not counts:
        return
    table = IssueTag._meta.db_table
    sql = (
        f"INSERT INTO {table} (issue_id, key, value, times_seen) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (issue_id, key, value) "
        f"DO UPDATE SET times_seen = {table}.times_seen + EXCLUDED.times_seen"
    )
    rows = sorted((issue_id, key, value, n) for (issue_id, key, value), n in counts.items())
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
