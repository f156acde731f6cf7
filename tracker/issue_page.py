"""The issue page, kept in the cache under a version the database answers.

Everything below the site's header (the issue, its stats, the event, the activity, the status
bar, the panels' task lists) is the same for every person who may see the issue: it is
rendered once per version of what it shows (tracker/issue_body.html) and read from the cache
after that. Each request renders only the frame (the person's header and messages) and fills
in the person's CSRF token and the relative times (tracker/fragments.py). Rendering the whole
page was about 80 % of its time (README, Performance).

The version is not a counter that writers bump: several writers use queryset update(), which
no signal sees. It is read in the one query that also checks access: the issue's and its
project's columns, and a digest of every column of the rows the page shows (the newest
activity entries with their people, the linked tasks, the resolution syncs), so any change,
by any writer, makes a new version. The event shown is keyed by the event query's answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.db import connections
from django.db.models import F, Model, OuterRef, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from integrations import registry
from tracker.compiled import ISSUE_MARK, USER_MARK, compiled, prepared_rows, with_ids
from tracker.fragments import Fragment, render_with_holes
from tracker.models import Activity, Event, Issue, Project, base36
from tracker.rows import from_row
from tracker.templatetags.tasklink import words_ago

BODY_TEMPLATE = "tracker/issue_body.html"
# A version is replaced by the next as soon as anything changes; old ones just expire.
BODY_SECONDS = 15 * 60
# As for the event's body alone (tracker/event_display.py): a page carrying a huge event is
# rendered each time rather than kept.
BODY_MAX_CACHED = 1024 * 1024
# The issue's columns the page reads, in model order (Issue.from_db wants them so).
ISSUE_COLUMNS = tuple(field.attname for field in Issue._meta.concrete_fields)
# The activity entries a page shows up front; the live updates' digest covers them and the
# one more that tells whether there are more.
ENTRIES_UP_FRONT = 10
LIVE_ENTRIES = ENTRIES_UP_FRONT + 1
# What the activity entries show of the person who acted (tracker/activity_display.actor).
ACTOR_COLUMNS = ("username", "first_name", "last_name", "email")


@dataclass(frozen=True)
class PageIssue:
    """The issue's row as the page query answers it, with the page's version."""

    user: Any
    activity_limit: int
    row: tuple[Any, ...]  # ISSUE_COLUMNS, then the project's name and short name, then the rest
    live_version: str  # where the page's live updates start (tracker/live_views.py)
    version: str  # everything the body shows from the database, but the event
    # The event asked for (the newest when none was), with only its heading's columns and the
    # event_ids of the next newer and older events and of the oldest one; None: no such event.
    event: Event | None

    @property
    def pk(self) -> int:
        return self.row[0]

    @property
    def title(self) -> str:
        return self.row[ISSUE_COLUMNS.index("title")]

    @property
    def short_id(self) -> str:
        number = self.row[ISSUE_COLUMNS.index("number")]
        return f"{self.row[len(ISSUE_COLUMNS) + 1]}-{base36(number)}"

    def issue(self) -> Issue:
        """The issue as a model, with its project's name and short name (what the body shows;
        its other columns are read if asked): for rendering a new version."""
        issue = from_row(Issue, ISSUE_COLUMNS, self.row[: len(ISSUE_COLUMNS)])
        project = self.row[len(ISSUE_COLUMNS) : len(ISSUE_COLUMNS) + 2]
        issue.project = from_row(
            Project, ["id", "name", "short_name"], [issue.project_id, *project]
        )
        return issue

    def still_current(self) -> bool:
        """Whether the database still answers this version (nothing changed meanwhile)."""
        again = page_issue(self.user, self.pk, self.activity_limit, self.event_id)
        return again is not None and again.version == self.version

    @property
    def event_id(self) -> str:
        return self.event.event_id if self.event else ""


def live_version_of(
    status: str, last_activity: int | None, tasks_changed: Any, activity_digest: str | None
) -> str:
    """The live updates' version: status, newest activity entry, linked tasks' last change,
    and a digest of the entries shown up front (a worker edits an entry in place, e.g. a
    comment it could not post to the tracker, which no new entry announces)."""
    if isinstance(tasks_changed, str):  # SQLite hands a raw cursor's timestamps over as text
        tasks_changed = parse_datetime(tasks_changed)
    tasks = int(tasks_changed.timestamp() * 1000) if tasks_changed else 0
    return f"{status}.{last_activity or 0}.{tasks}.{(activity_digest or '-')[:12]}"


def live_version(user: Any, issue_id: int) -> str | None:
    """What the live updates compare, as one string (None: not the person's issue). One
    query, on the issue's primary key and the activity and linked-task indexes."""
    if not user.is_authenticated or not _is_an_id(issue_id):
        return None
    sql, params = _live_sql()
    rows = prepared_rows(sql, with_ids(params, user.pk, issue_id), Issue.objects.db)
    return live_version_of(*rows[0]) if rows else None


def page_issue(
    user: Any, issue_id: int, activity_limit: int, event_id: str = ""
) -> PageIssue | None:
    """The issue's row with the page's version and the event `event_id` (the newest when "")
    in one query, or None when it is not the person's issue (the rule is
    Issue.objects.for_user's). `activity_limit`: how many entries the page shows, plus one
    (that one tells whether there are more)."""
    if not user.is_authenticated or not _is_an_id(issue_id):
        return None
    sql, params = _page_with_event_sql(activity_limit, bool(event_id))
    event_params = [issue_id, event_id] if event_id else [issue_id]
    args = [*with_ids(params, user.pk, issue_id), *event_params]
    rows = prepared_rows(sql, args, Issue.objects.db)
    if not rows:
        return None
    row = rows[0]
    # A raw row: cheaper than a model (the body, from the cache, needs none), and what it
    # holds is all the version needs.
    issue_row, event_row = tuple(row[:-EVENT_WIDTH]), row[-EVENT_WIDTH:]
    status = issue_row[ISSUE_COLUMNS.index("status")]
    changes = issue_row[len(ISSUE_COLUMNS) + 2 : len(ISSUE_COLUMNS) + 5]  # activity, tasks, digest
    live_digest = changes[2] if activity_limit == LIVE_ENTRIES else issue_row[-1]
    live = live_version_of(status, changes[0], changes[1], live_digest)
    version = hashlib.sha256(repr(issue_row).encode()).hexdigest()
    event = None
    if event_row[0] is not None:
        event = from_row(Event, EVENT_HEADING, event_row[: len(EVENT_HEADING)])
        event.newer_id, event.older_id, event.oldest_id = event_row[len(EVENT_HEADING) :]
    return PageIssue(user, activity_limit, issue_row, live, version, event)


def body(
    csrf_token: str,
    page: PageIssue,
    event: Event | None,
    variant: str,
    context: Callable[[], dict[str, Any]],
) -> SafeString:
    """The page's body for `page` and `event` from the cache, rendered from `context()` when
    this version was not rendered yet; `variant` names anything else the request changes in
    it (e.g. all activity shown). `csrf_token`: the person's, as get_token gives it."""
    shown_event = (
        [event.pk, event.event_id, event.timestamp, event.received]
        + [event.newer_id, event.older_id, event.oldest_id]
        if event
        else []
    )
    # The time zone and language change the words and the exact times in the tooltips.
    others = [variant, timezone.get_current_timezone_name(), get_language(), code_version()]
    digest = hashlib.sha256(repr([page.version, shown_event, others]).encode()).hexdigest()
    key = f"issue-body:{page.pk}:{digest}"
    cached = django_cache.get(key)
    if cached is None:
        fragment = render_with_holes(BODY_TEMPLATE, context())
        # What it was rendered from was read after the version: kept only if nothing changed
        # in between, so a version never names a body of another.
        small = sum(map(len, fragment.parts)) <= BODY_MAX_CACHED
        if small and page.still_current():
            django_cache.set(key, (fragment.parts, fragment.holes), BODY_SECONDS)
    else:
        fragment = Fragment(*cached)
    now, language = timezone.now(), get_language()
    return fragment.fill(csrf_token, lambda moment: words_ago(moment, now, language))


@cache
def code_version() -> str:
    """A digest of the templates and of the tracker's and integrations' code, read once per
    process: a deploy that changes how anything on the page renders starts afresh."""
    root = Path(settings.BASE_DIR)
    files = sorted(root.glob("templates/**/*.html"))
    files += sorted(root.glob("tracker/**/*.py")) + sorted(root.glob("integrations/**/*.py"))
    digest = hashlib.sha256(repr(settings.TASKLINK_PLUGINS).encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# The event with its neighbours, written as SQL because the ORM compiled its five subqueries
# anew on every request: a fifth of the issue page's CPU time. Events at the same moment come in
# id order. Ties and the strict range are asked separately: each is an index range scan, where
# one OR condition (or a row comparison) scans the whole issue.
_EVENTS = Event._meta.db_table
EVENT_HEADING = ("id", "issue_id", "event_id", "timestamp", "received")
_NEXT = f"(SELECT n.event_id FROM {_EVENTS} n WHERE n.issue_id = e.issue_id {{}} LIMIT 1)"
EVENT_WITH_NEIGHBOURS_SQL = f"""
SELECT {", ".join(f"e.{column}" for column in EVENT_HEADING)},
  COALESCE(
    {_NEXT.format("AND n.timestamp = e.timestamp AND n.id > e.id ORDER BY n.id")},
    {_NEXT.format("AND n.timestamp > e.timestamp ORDER BY n.timestamp, n.id")}
  ) AS newer_id,
  COALESCE(
    {_NEXT.format("AND n.timestamp = e.timestamp AND n.id < e.id ORDER BY n.id DESC")},
    {_NEXT.format("AND n.timestamp < e.timestamp ORDER BY n.timestamp DESC, n.id DESC")}
  ) AS older_id,
  {_NEXT.format("ORDER BY n.timestamp, n.id")} AS oldest_id
FROM {_EVENTS} e
WHERE e.issue_id = %s {{where}}
ORDER BY e.timestamp DESC, e.id DESC
LIMIT 1
"""
# The event's columns in the page query's row: its heading's, then its neighbours'.
EVENT_WIDTH = len(EVENT_HEADING) + 3


# --- the query, compiled once -------------------------------------------------------------------
# The ORM took about 4 ms of CPU to build these subqueries, on every page and every poll of every
# open page; the database runs them in a fraction of a millisecond. So each statement is compiled
# once, with stand-in ids that are swapped for the real ones. The access rule stays for_user's.


def _versioned() -> QuerySet[Issue]:
    newest = Activity.objects.filter(issue=OuterRef("pk")).order_by("-date_added", "-id")
    return (
        Issue.objects.for_user(get_user_model()(pk=USER_MARK))
        .filter(pk=ISSUE_MARK)
        .order_by()  # one row: no sort
        .annotate(
            last_activity=Subquery(newest.values("id")[:1]),
            tasks_changed=registry.tasks_changed_at(),
        )
    )


def _live_query() -> QuerySet[Issue]:
    digest = RawSQL(_activity_digest(LIVE_ENTRIES), (), output_field=TextField())
    return (
        _versioned()
        .annotate(live_digest=digest)
        .values_list("status", "last_activity", "tasks_changed", "live_digest")[:1]
    )


def _page_query(activity_limit: int) -> QuerySet[Issue]:
    digests = {"activity_digest": _activity_digest(activity_limit)}
    for model in registry.issue_page_models():
        digests[f"{model._meta.db_table}_digest"] = _rows_digest(model, "x", "", "x.id")
    if activity_limit != LIVE_ENTRIES:  # "Show all activity": the live digest's own, last
        digests["live_digest"] = _activity_digest(LIVE_ENTRIES)
    return (
        _versioned()
        .annotate(
            project_name=F("project__name"),
            project_short_name=F("project__short_name"),
            **{name: RawSQL(sql, (), output_field=TextField()) for name, sql in digests.items()},
        )
        .values_list(
            *ISSUE_COLUMNS,
            "project_name",
            "project_short_name",
            "last_activity",
            "tasks_changed",
            *digests,
        )[:1]
    )


def _activity_digest(limit: int) -> str:
    users = get_user_model()._meta.db_table
    join = f"LEFT JOIN {users} u ON u.id = x.user_id"
    actor = [f"u.{column}" for column in ACTOR_COLUMNS]
    order = "x.date_added DESC, x.id DESC"
    return _rows_digest(Activity, "x", join, order, limit=limit, extra=actor)


def _rows_digest(
    model: type[Model],
    alias: str,
    join: str,
    order: str,
    *,
    limit: int | None = None,
    extra: list[str] | None = None,
) -> str:
    """A subquery: the md5 of every column of the issue's rows of `model` (the first `limit`
    in `order`), with the `extra` columns of the `join`. Each value is written with its length,
    so no two different rows read the same; NULL is "-"."""
    columns = [f"{alias}.{field.column}" for field in model._meta.concrete_fields]
    values = [
        f"COALESCE(CAST(LENGTH(CAST({column} AS TEXT)) AS TEXT) || ':' || CAST({column} AS TEXT),"
        " '-')"
        for column in [*columns, *(extra or [])]
    ]
    issue_id = f"{Issue._meta.db_table}.{Issue._meta.pk.column}"
    rows = (
        f"SELECT {' || '.join(values)} AS t FROM {model._meta.db_table} {alias} {join} "
        f"WHERE {alias}.issue_id = {issue_id} ORDER BY {order}"
        + (f" LIMIT {int(limit)}" if limit else "")
    )
    # Both concatenate in the subquery's order. md5 is PostgreSQL's, and one Django adds to
    # SQLite.
    postgresql = connections[Issue.objects.db].vendor == "postgresql"
    concat = "string_agg" if postgresql else "group_concat"
    return f"SELECT md5({concat}(r.t, ';')) FROM ({rows}) r"


@cache
def _live_sql() -> tuple[str, tuple[Any, ...]]:
    return compiled(_live_query(), USER_MARK, ISSUE_MARK)


@cache
def _page_sql(activity_limit: int) -> tuple[str, tuple[Any, ...]]:
    return compiled(_page_query(activity_limit), USER_MARK, ISSUE_MARK)


@cache
def _page_with_event_sql(activity_limit: int, by_event_id: bool) -> tuple[str, tuple[Any, ...]]:
    """The page query and the event's, in one statement (one round trip): the event's
    parameters (the issue, the event_id when `by_event_id`) follow the page query's."""
    sql, params = _page_sql(activity_limit)
    event = EVENT_WITH_NEIGHBOURS_SQL.format(where="AND e.event_id = %s" if by_event_id else "")
    return f"SELECT p.*, ev.* FROM ({sql}) p LEFT JOIN ({event}) ev ON 1 = 1", params


def _is_an_id(issue_id: int) -> bool:
    """Whether an issue could have this id: the ORM answers "no such row" for a number past the
    column's range, where the database refuses it (a path like /issues/9223372036854775808/)."""
    low, high = connections[Issue.objects.db].ops.integer_field_range(
        Issue._meta.pk.get_internal_type()
    )
    return (low is None or issue_id >= low) and (high is None or issue_id <= high)
