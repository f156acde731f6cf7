from django.urls import URLPattern, URLResolver, include, path

from integrations import bulk
from integrations.rules import sync_views, views

# Below projects/<id>/rules/<rule_id>/.
rule_urlpatterns = [
    path("", views.rule_edit, name="rule_edit"),
    path("delete/", views.rule_delete, name="rule_delete"),
    path("toggle/", views.rule_toggle, name="rule_toggle"),
]
# Below issues/<id>/resolution-sync/.
resolution_sync_urlpatterns = [
    path("", sync_views.sync_status, name="resolution_sync"),
    path("retry/", sync_views.sync_retry, name="resolution_sync_retry"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/<int:project_id>/rules/", views.rule_list, name="rule_list"),
    path("projects/<int:project_id>/rules/new/", views.rule_create, name="rule_create"),
    path("projects/<int:project_id>/rules/<int:rule_id>/", include(rule_urlpatterns)),
    path("issues/bulk/<slug:slug>/", bulk.bulk_create, name="bulk_create"),
    path("issues/bulk/runs/<int:run_id>/", bulk.bulk_run, name="bulk_run"),
    path("issues/<int:issue_id>/resolution-sync/", include(resolution_sync_urlpatterns)),
]
