from django.urls import path

from tracker import comment_views, live_views, project_views, views

KEY = "projects/<int:project_id>/keys/<int:key_id>/"

urlpatterns = [
    path("", views.issue_list, name="issue_list"),
    path("issues/<int:issue_id>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:issue_id>/status/", views.issue_set_status, name="issue_set_status"),
    path("issues/<int:issue_id>/live/", live_views.issue_live, name="issue_live"),
    path("issues/<int:issue_id>/comments/", comment_views.issue_comment, name="issue_comment"),
    path(
        "issues/<int:issue_id>/comments/<int:activity_id>/retry/",
        comment_views.comment_retry,
        name="issue_comment_retry",
    ),
    path("projects/", project_views.project_list, name="project_list"),
    path("projects/new/", project_views.project_create, name="project_create"),
    path("projects/<int:project_id>/", project_views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/rename/", project_views.project_rename, name="project_rename"),
    path("projects/<int:project_id>/delete/", project_views.project_delete, name="project_delete"),
    path("projects/<int:project_id>/keys/", project_views.project_keys, name="project_keys"),
    path(KEY, project_views.key_edit, name="key_edit"),
    path(f"{KEY}disable/", project_views.key_set_active, {"active": False}, name="key_disable"),
    path(f"{KEY}enable/", project_views.key_set_active, {"active": True}, name="key_enable"),
    path(f"{KEY}rotate/", project_views.key_rotate, name="key_rotate"),
    path("onboarding/dismiss/", project_views.onboarding_dismiss, name="onboarding_dismiss"),
]
