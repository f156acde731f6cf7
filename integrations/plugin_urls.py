"""Every plugin's URLs, generated from the plugin (as allauth's `default_urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from integrations import plugin_views
from integrations.base import IssueTrackerPlugin

# The panel's actions: URL suffix and view. Their names are plugin_<slug>_<action>.
ACTIONS = {
    "panel": ("", plugin_views.panel_view),
    "create": ("create/", plugin_views.create_view),
    "link": ("link/", plugin_views.link_view),
    "unlink": ("unlink/", plugin_views.unlink_view),
    "tasks": ("tasks/", plugin_views.tasks_view),
    "autocomplete": ("autocomplete/", plugin_views.autocomplete_view),
}


def default_urlpatterns(plugin: IssueTrackerPlugin) -> list[URLPattern | URLResolver]:
    """/issues/<id>/plugins/<slug>/… for the panel and its actions, then the plugin's own."""
    prefix = f"issues/<int:issue_id>/plugins/{plugin.slug}/"
    return [
        path(prefix + suffix, view, {"plugin": plugin}, name=f"plugin_{plugin.slug}_{action}")
        for action, (suffix, view) in ACTIONS.items()
    ] + plugin.extra_urlpatterns()
