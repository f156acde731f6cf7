from django.urls import path

from integrations import plugin_views
from integrations.asana import views
from integrations.asana.plugin import plugin

ISSUE = "issues/<int:issue_id>/plugins/asana/"
PLUGIN = {"plugin": plugin}

urlpatterns = [
    path(ISSUE, plugin_views.panel_view, PLUGIN, name="plugin_asana_panel"),
    path(f"{ISSUE}create/", plugin_views.create_view, PLUGIN, name="plugin_asana_create"),
    path(f"{ISSUE}link/", plugin_views.link_view, PLUGIN, name="plugin_asana_link"),
    path(f"{ISSUE}unlink/", plugin_views.unlink_view, PLUGIN, name="plugin_asana_unlink"),
    path(f"{ISSUE}tasks/", plugin_views.tasks_view, PLUGIN, name="plugin_asana_tasks"),
    path(
        f"{ISSUE}autocomplete/",
        plugin_views.autocomplete_view,
        PLUGIN,
        name="plugin_asana_autocomplete",
    ),
    path(
        "projects/<int:project_id>/plugins/asana/",
        views.settings_view,
        name="plugin_asana_settings",
    ),
    path(
        "projects/<int:project_id>/plugins/asana/autocomplete/",
        views.settings_autocomplete_view,
        name="plugin_asana_settings_autocomplete",
    ),
]
