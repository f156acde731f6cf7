"""SDK posts skip the page middleware (ingest/middleware.py); everything else keeps it."""

from __future__ import annotations

import pytest

from tests.ingest.helpers import event_envelope, exception_event, post_envelope

pytestmark = pytest.mark.django_db


def test_an_sdk_post_is_answered_without_the_page_middleware(client, project):
    response = post_envelope(client, project, event_envelope(exception_event()), project.keys.get())
    assert response.status_code == 200
    # SecurityMiddleware, before the shortcut, still applies...
    assert response["X-Content-Type-Options"] == "nosniff"
    # ...the page middleware after it does not: no session, no htmx Vary, no page CSP.
    assert "HX-Request" not in response.get("Vary", "")
    assert "Content-Security-Policy" not in response
    assert not response.cookies


def test_refusals_take_the_same_short_path(client, project):
    response = post_envelope(client, project, event_envelope(exception_event()))
    assert response.status_code == 403
    assert "Content-Security-Policy" not in response


def test_other_api_paths_keep_the_page_middleware(client):
    response = client.get("/api/not-a-project/envelope/")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response
