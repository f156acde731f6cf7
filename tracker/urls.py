from django.urls import path

from tracker import views

urlpatterns = [
    path("", views.issue_list, name="issue_list"),
    path("issues/<int:issue_id>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:issue_id>/status/", views.issue_set_status, name="issue_set_status"),
]
