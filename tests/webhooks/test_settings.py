"""The per-project options, the note on how changes arrive, and the page's wording."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.urls import reverse

from integrations.asana.webhooks import is_local_host, webhooks_reachable
from integrations.models import ExternalIssue, PluginConfig, Webhook
from tests.support import ENGINEERING, EXISTING_TASK, connect_identity, sandbox_log
from tracker.models import Activity


def test_both_options_are_off_by_default_and_saved_when_chosen(
    owner_client, owner, project, sandbox
):
    connect_identity(owner, sandbox)
    url = reverse("plugin_asana_settings", args=[project.pk])
    page = owner_client.get(url).content.decode()
    assert re.search(r'<input type="radio" name="asana_completes" value="off"[^>]* checked', page)
    assert not re.search(r'name="asana_reopens"[^>]* checked', page)
    assert owner_client.post(url, {"workspace": ENGINEERING}).status_code == 302
    options = PluginConfig.objects.get(project=project).options
    assert (options["asana_completes"], options["asana_reopens"]) == ("off", False)
    owner_client.post(
        url, {"workspace": ENGINEERING, "asana_completes": "all", "asana_reopens": "on"}
    )
    options = PluginConfig.objects.get(project=project).options
    assert (options["asana_completes"], options["asana_reopens"]) == ("all", True)


def test_an_unknown_choice_is_refused_with_the_form_kept(owner_client, owner, project, sandbox):
    connect_identity(owner, sandbox)
    url = reverse("plugin_asana_settings", args=[project.pk])
    answer = owner_client.post(url, {"workspace": ENGINEERING, "asana_completes": "sometimes"})
    assert answer.status_code == 400
    assert "Select a valid choice" in answer.content.decode()


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.0.5", True),
        ("[::1]", True),
        ("app.localhost", True),
        ("tasklink.example.com", False),
        ("203.0.113.10", True),  # documentation range: not global
        ("8.8.8.8", False),
    ],
)
def test_which_hosts_asana_cannot_reach(host, local):
    assert is_local_host(host) is local


def test_webhooks_need_a_public_address_or_a_local_sandbox(settings):
    settings.APP_BASE_URL = "https://tasklink.example.com"
    settings.ASANA_BASE_URL = "https://app.asana.com"
    assert webhooks_reachable()
    settings.APP_BASE_URL = "http://127.0.0.1:8000"
    assert not webhooks_reachable()  # real Asana cannot reach localhost
    settings.ASANA_BASE_URL = "http://127.0.0.1:8765"
    assert webhooks_reachable()  # the sandbox on this machine (--allow-local-webhooks) can


def test_the_settings_page_says_when_only_reconciliation_syncs(
    owner_client, owner, project, sandbox, settings
):
    connect_identity(owner, sandbox)
    url = reverse("plugin_asana_settings", args=[project.pk])
    settings.APP_BASE_URL = "http://127.0.0.1:8000"
    assert "as they happen (webhooks)" in owner_client.get(url).content.decode()
    settings.ASANA_BASE_URL = "https://app.asana.com"  # what the page says; no call is made
    page = owner_client.get(url).content.decode()
    assert "arrive by reconciliation only, every 10 min" in page


def test_without_a_reachable_address_no_webhook_is_asked_for(
    owner, issue, sandbox, django_capture_on_commit_callbacks
):
    connect_identity(owner, sandbox)
    # As with real Asana and a localhost APP_BASE_URL (the sandbox itself is local here).
    with (
        mock.patch("integrations.asana.webhooks.webhooks_reachable", return_value=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ExternalIssue.objects.create(
            issue=issue, provider="asana", external_id=EXISTING_TASK, created_by=owner
        )
    assert not sandbox_log(sandbox, "/api/1.0/webhooks")
    assert not Webhook.objects.exists()
    # The card was still read; the reconciliation keeps it fresh.
    assert ExternalIssue.objects.get().details["projects"][0]["name"] == "Backend"


def test_the_issue_page_shows_asana_changes_in_the_activity(owner_client, issue):
    Activity.objects.create(
        issue=issue,
        kind=Activity.Kind.RESOLVED,
        data={
            "provider": "asana",
            "provider_title": "Asana",
            "remote_actor": "Grace Hopper",
            "remote_action": "completed",
            "title": "Fix N+1",
            "url": "https://app.asana.com/0/1/2",
        },
    )
    Activity.objects.create(issue=issue, kind=Activity.Kind.RESOLVED, data={"via": "Asana"})
    page = " ".join(owner_client.get(issue.get_absolute_url()).content.decode().split())
    assert "<strong>Grace Hopper</strong> completed the task" in page
    assert "‘Fix N+1’</a> in Asana" in page
    assert "Tasklink</strong> resolved this issue after a change in Asana" in page
