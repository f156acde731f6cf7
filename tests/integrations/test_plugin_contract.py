"""The suite every issue-tracker plugin passes (as allauth's create_oauth2_tests): Asana
against the sandbox, and a fake second tracker that exists only in tests/.

The fake implements only the hooks IssueTrackerPlugin declares and is registered by one line:
if it needed more, integrations/ would still know a tracker by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from integrations.exceptions import ApiUnavailable
from integrations.models import ExternalIssue, PluginConfig
from tests.integrations import fake_tracker
from tests.support import (
    ENGINEERING,
    EXISTING_TASK,
    HTMX,
    clear_sandbox_log,
    connect_identity,
    fault,
    make_identity,
    sandbox_log,
)
from tracker.models import Activity

pytestmark = pytest.mark.django_db


@dataclass
class Tracker:
    """What the suite needs to drive one plugin and look at its tracker."""

    plugin: Any
    options: dict
    existing_task: str
    search_query: str
    world: Any

    def connect(self, user):
        raise NotImplementedError

    def fail_next_create(self) -> None:
        raise NotImplementedError

    def creates(self) -> int:
        """How many tasks the tracker was asked to create."""
        raise NotImplementedError

    def has_task(self, task_id: str) -> bool:
        raise NotImplementedError


class AsanaTracker(Tracker):
    def connect(self, user):
        identity = connect_identity(user, self.world)
        clear_sandbox_log(self.world)
        return identity

    def fail_next_create(self) -> None:
        fault(self.world, path="/api/1.0/tasks", method="POST", status=503, times=1)

    def creates(self) -> int:
        return sum(1 for e in sandbox_log(self.world, "/api/1.0/tasks") if e["method"] == "POST")

    def has_task(self, task_id: str) -> bool:
        return task_id in self.world.state.tasks


class FakeTracker(Tracker):
    def connect(self, user):
        return make_identity(user, provider=self.plugin.auth_provider, uid="fake-ada")

    def fail_next_create(self) -> None:
        self.world.failures.append(ApiUnavailable(503))

    def creates(self) -> int:
        return self.world.calls.count("create")

    def has_task(self, task_id: str) -> bool:
        return task_id in self.world.tasks


@pytest.fixture
def fake_registered(settings):
    """The fake tracker, registered beside Asana: one line, plus its generated URLs."""
    settings.TASKLINK_PLUGINS = [*settings.TASKLINK_PLUGINS, fake_tracker.DOTTED_PATH]
    settings.ROOT_URLCONF = "tests.integrations.fake_tracker"
    fake_tracker.plugin.board = fake_tracker.Board()
    return fake_tracker.plugin


@pytest.fixture(params=["asana", "fake"])
def tracker(request) -> Tracker:
    if request.param == "asana":
        from integrations.asana.plugin import plugin

        sandbox = request.getfixturevalue("sandbox")
        return AsanaTracker(plugin, {"workspace": ENGINEERING}, EXISTING_TASK, "N+1", sandbox)
    plugin = request.getfixturevalue("fake_registered")
    task_id = plugin.board.add("Fix N+1 query in the fake")
    plugin.board.calls.clear()
    return FakeTracker(plugin, {"board": "ops"}, task_id, "N+1", plugin.board)


def url(tracker: Tracker, action: str, issue) -> str:
    return reverse(f"plugin_{tracker.plugin.slug}_{action}", args=[issue.pk])


@pytest.fixture
def configured(tracker, project):
    PluginConfig.objects.create(
        project=project, plugin=tracker.plugin.slug, options=tracker.options
    )


@pytest.fixture
def ready(tracker, configured, owner, owner_client):
    tracker.connect(owner)
    return owner_client


# --- panel states ---------------------------------------------------------------------------


def test_panel_says_not_configured(tracker, owner_client, issue):
    content = owner_client.get(url(tracker, "panel", issue), headers=HTMX).content.decode()
    assert f"{tracker.plugin.title} is not set up for {issue.project.name} yet" in content


def test_panel_without_identity_offers_to_connect(tracker, configured, owner_client, issue):
    content = owner_client.get(url(tracker, "panel", issue), headers=HTMX).content.decode()
    assert tracker.plugin.error_auth_not_configured in content
    assert reverse("social:begin", args=[tracker.plugin.auth_provider]) in content
    assert f"Connect {tracker.plugin.title}" in content


def test_panel_with_a_dead_identity_offers_to_reconnect(
    tracker, configured, owner, owner_client, issue
):
    identity = tracker.connect(owner)
    identity.extra_data["needs_reconnect"] = True
    identity.save()
    content = owner_client.get(url(tracker, "panel", issue), headers=HTMX).content.decode()
    assert f"Reconnect {tracker.plugin.title}" in content


def test_ready_panel_offers_the_actions(tracker, ready, issue):
    content = ready.get(url(tracker, "panel", issue), headers=HTMX).content.decode()
    assert "Create task" in content and "Link existing task" in content


def test_the_issue_page_has_a_slot_for_the_panel(tracker, ready, issue):
    content = ready.get(issue.get_absolute_url()).content.decode()
    assert f'id="panel-{tracker.plugin.slug}"' in content


# --- create, link, unlink -----------------------------------------------------------------------


def test_create_makes_the_task_and_records_it(tracker, ready, issue):
    response = ready.post(url(tracker, "create", issue), {"title": "Broken"}, headers=HTMX)
    assert response.status_code == 200
    assert f"Created {tracker.plugin.title} task “Broken”." in response.content.decode()
    mapping = ExternalIssue.objects.get(issue=issue, provider=tracker.plugin.slug)
    assert tracker.has_task(mapping.external_id) and tracker.creates() == 1
    assert Activity.objects.filter(issue=issue, kind=Activity.Kind.CREATE_ISSUE).exists()
    assert "activity-changed" in json.loads(response.headers["HX-Trigger"])


def test_a_double_submit_creates_one_task(tracker, ready, issue):
    data = {"title": "Once", "idempotency_key": "c" * 32}
    first = ready.post(url(tracker, "create", issue), data, headers=HTMX)
    second = ready.post(url(tracker, "create", issue), data, headers=HTMX)
    assert first.status_code == second.status_code == 200
    assert "Already created" in second.content.decode()
    assert tracker.creates() == 1 and ExternalIssue.objects.count() == 1


def test_a_tracker_failure_keeps_what_was_typed(tracker, ready, issue):
    tracker.fail_next_create()
    response = ready.post(
        url(tracker, "create", issue), {"title": "Keep me", "description": "notes"}, headers=HTMX
    )
    content = response.content.decode()
    assert response.status_code == 502
    assert 'value="Keep me"' in content and "notes" in content
    assert f"{tracker.plugin.title} is having trouble (HTTP 503)" in content
    assert not ExternalIssue.objects.exists()


def test_link_then_unlink(tracker, ready, issue):
    task = tracker.existing_task
    linked = ready.post(
        url(tracker, "link", issue), {"issue_id": task, "comment": ""}, headers=HTMX
    )
    assert linked.status_code == 200
    assert ExternalIssue.objects.filter(provider=tracker.plugin.slug, external_id=task).exists()
    unlinked = ready.post(url(tracker, "unlink", issue), {"issue_id": task}, headers=HTMX)
    assert f"The task itself was not changed in {tracker.plugin.title}" in unlinked.content.decode()
    assert not ExternalIssue.objects.exists() and tracker.has_task(task)


def test_linking_twice_says_so(tracker, ready, issue):
    data = {"issue_id": tracker.existing_task, "comment": ""}
    ready.post(url(tracker, "link", issue), data, headers=HTMX)
    again = ready.post(url(tracker, "link", issue), data, headers=HTMX)
    assert again.status_code == 400 and b"already linked to this issue" in again.content


# --- autocomplete -------------------------------------------------------------------------------


def test_autocomplete_answers_sentrys_shape(tracker, ready, issue):
    params = {"autocomplete_field": "issue_id", "autocomplete_query": tracker.search_query}
    results = json.loads(ready.get(url(tracker, "autocomplete", issue), params).content)
    assert tracker.existing_task in [r["id"] for r in results["issue_id"]]


def test_autocomplete_without_identity_is_refused(tracker, configured, owner_client, issue):
    params = {"autocomplete_field": "issue_id", "autocomplete_query": "x"}
    response = owner_client.get(url(tracker, "autocomplete", issue), params)
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == tracker.plugin.error_auth_not_configured


# --- who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["panel", "create", "link", "autocomplete", "tasks"])
def test_outsiders_get_404(tracker, configured, outsider_client, issue, action):
    assert outsider_client.get(url(tracker, action, issue)).status_code == 404


def test_the_identities_page_lists_the_tracker(tracker, owner_client):
    content = owner_client.get(reverse("identities")).content.decode()
    assert f"No {tracker.plugin.title} account is connected" in content
