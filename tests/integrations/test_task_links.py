"""Issue.has_task follows the links: every way a task is linked or unlinked keeps it right, and
the issue list's "with a task" filter and badge read it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from integrations.models import ExternalIssue
from integrations.task_links import refresh_has_task
from tests.integrations import fake_tracker
from tests.support import make_identity
from tracker.models import Issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    fake_tracker.plugin.board = fake_tracker.Board()
    return fake_tracker.plugin


@pytest.fixture
def identity(owner):
    return make_identity(owner, provider=fake_tracker.plugin.auth_provider)


def has_task(issue: Issue) -> bool:
    return Issue.objects.values_list("has_task", flat=True).get(pk=issue.pk)


def listed(client, linked: str) -> str:
    return client.get(reverse("issue_list") + f"?status=all&linked={linked}").content.decode()


def create(fake, issue, owner, identity, title="Broken") -> ExternalIssue:
    mapping, _ = fake.create(
        issue=issue, user=owner, identity=identity, options={"board": "ops"},
        data={"title": title}, idempotency_key="",
    )  # fmt: skip
    return mapping


def test_a_new_issue_has_no_task(issue, owner_client):
    assert not has_task(issue)
    assert issue.title in listed(owner_client, "unlinked")
    assert issue.title not in listed(owner_client, "linked")


def test_creating_a_task_marks_the_issue_and_the_issue_in_hand(
    fake, issue, owner, identity, owner_client
):
    mapping = create(fake, issue, owner, identity)
    assert has_task(issue) and mapping.issue.has_task
    assert issue.title in listed(owner_client, "linked")
    assert issue.title not in listed(owner_client, "unlinked")


def test_unlinking_keeps_the_mark_while_another_task_is_linked(fake, issue, owner, identity):
    first = create(fake, issue, owner, identity, "One")
    second_task = fake.board.add("Two")
    fake.link(issue=issue, user=owner, identity=identity, external_id=second_task, comment="")
    fake.unlink(issue=issue, user=owner, external_id=first.external_id)
    assert has_task(issue)
    fake.unlink(issue=issue, user=owner, external_id=second_task)
    assert not has_task(issue)


def test_linking_an_existing_task_marks_the_issue(fake, issue, owner, identity):
    task = fake.board.add("Existing")
    fake.link(issue=issue, user=owner, identity=identity, external_id=task, comment="hi")
    assert has_task(issue)


def test_a_stale_issue_saved_whole_does_not_write_back_its_old_mark(fake, issue, owner, identity):
    stale = Issue.objects.get(pk=issue.pk)
    create(fake, issue, owner, identity)
    stale.title = "Renamed"
    stale.save()
    assert has_task(issue) and Issue.objects.get(pk=issue.pk).title == "Renamed"


def test_deleting_links_in_the_admin_clears_the_mark(issue, admin_client):
    mapping = ExternalIssue.objects.create(issue=issue, provider="asana", external_id="1")
    assert has_task(issue)
    admin_client.post(
        reverse("admin:integrations_externalissue_changelist"),
        {"action": "delete_selected", "_selected_action": [mapping.pk], "post": "yes"},
    )
    assert not ExternalIssue.objects.exists()
    assert not has_task(issue)


def test_moving_a_link_to_another_issue_moves_the_mark(issue, project):
    other = Issue.objects.create(project=project, title="Other")
    mapping = ExternalIssue.objects.create(issue=issue, provider="asana", external_id="1")
    mapping.issue = other
    mapping.save()
    assert not has_task(issue) and has_task(other)


def test_bulk_writes_are_marked_by_refresh_has_task(issue, project):
    other = Issue.objects.create(project=project, title="Other")
    ExternalIssue.objects.bulk_create([ExternalIssue(issue=issue, provider="a", external_id="1")])
    Issue.objects.filter(pk=other.pk).update(has_task=True)  # wrong on purpose
    refresh_has_task([issue.pk, other.pk])
    assert has_task(issue) and not has_task(other)


class StatementsOnly:
    """What the data migration uses of a schema editor (SQLite's may not open in a test's
    transaction)."""

    quote_name = staticmethod(connection.ops.quote_name)

    def execute(self, sql: str, params=()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_the_migration_marks_issues_linked_before_the_column_existed(issue, project):
    unlinked = Issue.objects.create(project=project, title="Other")
    ExternalIssue.objects.create(issue=issue, provider="asana", external_id="1")
    Issue.objects.update(has_task=False)
    migration = importlib.import_module("integrations.migrations.0007_issue_has_task_backfill")
    migration.mark_linked_issues(apps, StatementsOnly())
    assert has_task(issue) and not has_task(unlinked)
