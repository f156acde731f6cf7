from django.urls import URLPattern, path

from integrations import bulk
from integrations.rules import sync_views, views

urlpatterns: list[URLPattern] = [
    path("projects/<int:project_id>/rules/", views.rule_list, name="rule_list"),
    path("projects/<int:project_id>/rules/new/", views.rule_create, name="rule_create"),
    path("projects/<int:project_id>/rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path(
        "projects/<int:project_id>/rules/<int:rule_id>/delete/",
        views.rule_delete,
        name="rule_delete",
    ),
    path(
        "projects/<int:project_id>/rules/<int:rule_id>/toggle/",
        views.rule_toggle,
        name="rule_toggle",
    ),
    path("issues/bulk/<slug:slug>/", bulk.bulk_create, name="bulk_create"),
    path("issues/bulk/runs/<int:run_id>/", bulk.bulk_run, name="bulk_run"),
    path("issues/<int:issue_id>/resolution-sync/", sync_views.sync_status, name="resolution_sync"),
    path(
        "issues/<int:issue_id>/resolution-sync/retry/",
        sync_views.sync_retry,
        name="resolution_sync_retry",
    ),
]
