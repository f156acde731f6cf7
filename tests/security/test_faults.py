"""Asana failing in every way the sandbox can fail: a clear message, no 500, nothing lost."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse
from social_django.models import UserSocialAuth

from integrations.models import ExternalIssue, PluginConfig
from tests.support import EXISTING_TASK, HTMX, connect_identity, fault

pytestmark = pytest.mark.django_db
TASK = EXISTING_TASK


@pytest.fixture
def ready(owner_client, owner, project, sandbox):
    PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": "1200000000000001"}
    )
    connect_identity(owner, sandbox)
    return owner_client


CREATE = ("create", {"title": "Typed name", "description": "Typed notes"}, "POST", "/api/1.0/tasks")
LINK = ("link", {"issue_id": TASK, "comment": "Typed comment"}, "GET", f"/api/1.0/tasks/{TASK}")


@pytest.mark.parametrize("action", [CREATE, LINK], ids=["create", "link"])
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"status": 500}, "Asana"),
        ({"status": 503, "retry_after": 60}, "Asana"),
        ({"status": 429, "retry_after": 60}, "Try again in"),
        ({"status": 200, "body": "{not json"}, "malformed"),
        ({"status": 200, "body": '{"data": "surprise"}'}, "Asana"),
        ({"delay": 1.0}, "did not answer in time"),
    ],
    ids=["500", "503", "429", "malformed", "wrong-shape", "slow"],
)
def test_asana_failures_keep_the_form_and_store_nothing(
    ready, issue, sandbox, settings, action, spec, message
):
    settings.ASANA_READ_TIMEOUT = 0.4
    name, data, method, path = action
    fault(sandbox, path=path, method=method, times=3, **spec)
    response = ready.post(reverse(f"plugin_asana_{name}", args=[issue.pk]), data, headers=HTMX)
    content = response.content.decode()
    assert response.status_code in (400, 502), content
    assert "message-error" in content and message.lower() in content.lower()
    for value in data.values():
        assert value in content
    assert not ExternalIssue.objects.exists()


@pytest.mark.parametrize("name", ["create", "link"])
def test_asana_down_is_a_message(ready, issue, settings, name):
    settings.ASANA_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    response = ready.post(
        reverse(f"plugin_asana_{name}", args=[issue.pk]),
        {"title": "Down", "issue_id": TASK},
        headers=HTMX,
    )
    assert response.status_code == 502
    assert "Asana cannot be reached right now" in response.content.decode()
    assert not ExternalIssue.objects.exists()


def test_a_grant_revoked_mid_flight_offers_reconnect_and_keeps_the_draft(
    ready, owner, issue, sandbox
):
    requests.post(f"{sandbox.url}/_sandbox/revoke-all", timeout=5)
    url = reverse("plugin_asana_create", args=[issue.pk])
    response = ready.post(url, {"title": "Survives", "description": "the reconnect"}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 409
    assert "Reconnect Asana" in content and 'value="Survives"' in content
    assert not ExternalIssue.objects.exists()
    # Reconnecting stores a fresh grant (tests/integrations covers the dance itself); back
    # from the consent page, the form opens with what was typed.
    identity = UserSocialAuth.objects.get(user=owner)
    fresh = sandbox.state.issue_tokens("ada@acme.test")
    identity.extra_data.update(
        access_token=fresh["access_token"], refresh_token=fresh["refresh_token"]
    )
    identity.extra_data.pop("needs_reconnect")
    identity.save()
    again = ready.get(url, headers=HTMX).content.decode()
    assert 'value="Survives"' in again and "the reconnect" in again
