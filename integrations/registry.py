"""The issue-tracker plugins this Tasklink runs, from settings.TASKLINK_PLUGINS (dotted paths
to plugin instances): a second tracker is one more line there.

The rest of Tasklink (the tracker's pages, the URLconf, the identities page, the resolution
sync, the OAuth error messages) reaches the plugins only through these functions.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.db.models import Model, OuterRef, Subquery
from django.utils.module_loading import import_string

from integrations.base import IssueTrackerPlugin
from integrations.models import ExternalIssue, ResolutionSync


@cache
def _load(paths: tuple[str, ...]) -> tuple[IssueTrackerPlugin, ...]:
    return tuple(import_string(dotted) for dotted in paths)


def plugins() -> list[IssueTrackerPlugin]:
    return list(_load(tuple(settings.TASKLINK_PLUGINS)))


def for_auth_provider(name: str) -> IssueTrackerPlugin | None:
    """The plugin whose identities come from the social-auth backend `name`."""
    return next((plugin for plugin in plugins() if plugin.auth_provider == name), None)


def plugin_title(slug: str) -> str:
    """The plugin's title; the slug itself for a plugin this Tasklink no longer runs."""
    return next((plugin.title for plugin in plugins() if plugin.slug == slug), slug)


def trackers_title() -> str:
    """The trackers' names as one label (the issue list's filter and badge)."""
    return " or ".join(plugin.title for plugin in plugins())


def tasks_changed_at() -> Subquery:
    """An annotation for Issue querysets: when a linked task's stored state last changed
    (completion, title, the task card), or None (the issue page's live updates compare it)."""
    newest = ExternalIssue.objects.filter(issue=OuterRef("pk"), date_changed__isnull=False)
    return Subquery(newest.order_by("-date_changed").values("date_changed")[:1])


def issue_page_models() -> list[type[Model]]:
    """The plugin layer's tables the issue page shows rows of, each with an `issue` key: the
    linked tasks (the panels' list without JavaScript) and the resolution syncs (the status
    bar). Every column of every row of the issue's enters the page's version, so a change made
    by any writer (a save, a queryset update(), the admin) shows on the next page."""
    return [ExternalIssue, ResolutionSync]
