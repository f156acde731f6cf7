from __future__ import annotations

from django.urls import path

from ingest import views

urlpatterns = [
    path("api/<int:project_id>/envelope/", views.envelope_endpoint, name="ingest_envelope"),
    path("api/<int:project_id>/store/", views.store_endpoint, name="ingest_store"),
]
