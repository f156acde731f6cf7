"""Connections made before two-way sync lack webhooks:write: say so; reconnecting grants it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.urls import reverse
from social_django.models import UserSocialAuth

from integrations.models import PluginConfig
from tests.support import ENGINEERING, SANDBOX_ADA, TIMEOUT, make_identity

NOTICE = "Tasklink needs one more permission from Asana"


def reconnect(client, sandbox) -> None:
    """Press Reconnect and approve on the sandbox's consent page, as a person does."""
    authorize = client.post(reverse("social:begin", args=["asana"]), {"next": "/"})["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert "webhooks:write" in query["scope"].split()
    form = {**query, "decision": "approve", "user": sandbox.state.find_user(SANDBOX_ADA).gid}
    back = requests.post(
        authorize.split("?")[0], data=form, allow_redirects=False, timeout=TIMEOUT
    ).headers["Location"]
    parts = urlsplit(back)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 302


def test_scopes_ask_for_webhooks():
    assert {"webhooks:read", "webhooks:write", "webhooks:delete"} <= set(settings.ASANA_SCOPES)


def test_an_older_connection_is_told_and_reconnecting_grants_it(
    owner_client, owner, project, issue, sandbox
):
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": ENGINEERING})
    make_identity(owner)  # stored before issue 16: no scopes recorded
    identities_page = owner_client.get(reverse("identities")).content.decode()
    assert NOTICE in identities_page and "webhooks:write" in identities_page
    panel = owner_client.get(reverse("plugin_asana_panel", args=[issue.pk])).content.decode()
    assert NOTICE in panel and "Reconnect Asana" in panel
    assert "Create task" in panel  # nothing else breaks

    reconnect(owner_client, sandbox)
    identity = UserSocialAuth.objects.get(user=owner)
    assert "webhooks:write" in identity.extra_data["scopes"]
    assert NOTICE not in owner_client.get(reverse("identities")).content.decode()
    panel = owner_client.get(reverse("plugin_asana_panel", args=[issue.pk])).content.decode()
    assert NOTICE not in panel
