from django.urls import URLPattern, path

from integrations.rules import views

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
]
