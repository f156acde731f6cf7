"""Asana's own public endpoints (no login): webhook deliveries."""

from __future__ import annotations

from django.urls import path

from integrations.asana import webhooks

urlpatterns = [
    path("<int:webhook_id>/", webhooks.receive, name="asana_webhook"),
]
