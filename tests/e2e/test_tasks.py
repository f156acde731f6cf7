"""Journeys 3 to 5: configure the workspace, create a task with typeahead picks, link another
issue to it with a comment, unlink without a reload."""

from __future__ import annotations

import pytest

from integrations.asana.plugin import plugin
from integrations.models import ExternalIssue, PluginConfig
from tests.support import connect_identity
from tests.support.browser import (
    BACKEND_PROJECT,
    ENGINEERING,
    GRACE,
    connected_account,
    expect,
    log_in,
    make_account,
    open_create_form,
    open_form,
    open_panel,
    pick,
    screenshot,
    search,
    submit,
)

pytestmark = pytest.mark.e2e

TASK_NAME = "Checkout crashes without a shipping address"


def normalized(text: str) -> str:
    # Browsers send a textarea's line breaks as CRLF.
    return text.replace("\r\n", "\n")


def test_owner_configures_the_workspace_and_creates_a_task_with_typeahead_picks(page, app):
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox)
    issue = issues[0]
    log_in(page, "ada@example.com")

    page.goto(f"/projects/{project.pk}/plugins/asana/")
    page.select_option("#id_workspace", label="Acme Engineering")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#messages")).to_contain_text("Asana settings saved for Sample app.")
    assert PluginConfig.objects.get(project=project).options["workspace"] == ENGINEERING

    open_panel(page, issue)
    panel = page.locator("#plugin-asana")
    expect(panel).to_contain_text("Workspace: Acme Engineering")
    form = open_create_form(page)
    # Name and notes come from the issue: its link, then the latest event's stack trace.
    expect(form.locator("#id_title")).to_have_value(issue.title)
    notes = form.locator("#id_description").input_value()
    assert notes.startswith(f"{app.url}{issue.get_absolute_url()}?referrer=asana_plugin")

    form.locator("#id_title").fill(TASK_NAME)
    pick(page, "project", "Back", "Backend")
    expect(form.locator("#id_project")).to_have_value(BACKEND_PROJECT)
    expect(form.locator("#id_project_label")).to_have_value("Backend")
    people = search(page, "assignee", "a")
    expect(people.filter(has_text="Grace Hopper")).to_have_count(1)
    screenshot(page, "create-form", height=1060)
    people.filter(has_text="Grace Hopper").click()
    expect(form.locator("#id_assignee")).to_have_value(GRACE)
    expect(form.locator("#id_assignee_label")).to_have_value("Grace Hopper <grace@acme.test>")

    submit(form, "Create task")
    expect(panel.get_by_role("status")).to_have_text(f"Created Asana task “{TASK_NAME}”.")
    task_link = panel.locator("ul.tasks").get_by_role("link", name=TASK_NAME)
    expect(task_link).to_be_visible()

    [task] = app.tasks_named(TASK_NAME)
    assert normalized(task["notes"]) == normalized(notes)
    assert task["workspace"] == ENGINEERING
    assert task["projects"] == [BACKEND_PROJECT]
    assert task["assignee"] == GRACE
    mapping = ExternalIssue.objects.get(issue=issue)
    assert mapping.external_id == task["gid"] and mapping.title == TASK_NAME
    assert task_link.get_attribute("href") == mapping.url
    # The activity list reloads after the action.
    expect(page.locator("#activity")).to_contain_text(TASK_NAME)
    screenshot(page, "issue-with-panel")


def test_another_issue_links_to_the_task_with_a_comment(page, app):
    account = connected_account(app)
    first, second = account.issues[0], account.issues[1]
    # The task the previous journey creates in the browser, made here without it.
    created, _ = plugin.create(
        issue=first,
        user=account.user,
        identity=account.identity,
        options={"workspace": ENGINEERING},
        data={"title": TASK_NAME, "description": "", "project": BACKEND_PROJECT},
        idempotency_key="",
    )
    log_in(page, "ada@example.com")

    open_panel(page, second)
    panel = page.locator("#plugin-asana")
    form = open_form(page, "Link existing task")
    form.locator("#id_issue_id_label").fill("shipping address")
    form.locator("#options-issue_id [role=option]", has_text=TASK_NAME).click()
    expect(form.locator("#id_issue_id")).to_have_value(created.external_id)
    # The search box shows the picked task's name, not its gid.
    expect(form.locator("#id_issue_id_label")).to_have_value(TASK_NAME)
    comment = f"Also seen as {second.short_id}: {app.url}{second.get_absolute_url()}"
    form.locator("#id_comment").fill(comment)
    submit(form, "Link task")

    expect(panel.get_by_role("status")).to_have_text(
        f"Linked Asana task “{TASK_NAME}” and commented on it."
    )
    expect(panel.locator("ul.tasks").get_by_role("link", name=TASK_NAME)).to_be_visible()
    stories = [s for s in app.state()["stories"] if s["task"] == created.external_id]
    assert [s["text"] for s in stories] == [comment]
    linked = ExternalIssue.objects.filter(external_id=created.external_id)
    assert sorted(linked.values_list("issue_id", flat=True)) == [first.pk, second.pk]


def test_unlink_updates_the_panel_without_a_reload(page, app):
    account = connected_account(app)
    issue = account.issues[0]
    existing = "1200000000000015"  # a seeded task in Backend
    mapping = account.link(issue, existing)
    log_in(page, "ada@example.com")
    open_panel(page, issue)
    panel = page.locator("#plugin-asana")
    expect(panel.locator("ul.tasks li")).to_have_count(1)

    navigations = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    page.evaluate("window.__journeyMarker = 'still here'")
    panel.get_by_role("button", name=f"Unlink {mapping.title}").click()

    expect(panel.get_by_role("status")).to_have_text(
        f"Unlinked “{mapping.title}”. The task itself was not changed in Asana."
    )
    expect(panel).to_contain_text("No Asana task is linked to this issue yet.")
    assert page.evaluate("window.__journeyMarker") == "still here"
    assert navigations == []
    assert not ExternalIssue.objects.filter(issue=issue).exists()
    # The task itself is still there at Asana.
    assert any(t["gid"] == existing and not t["completed"] for t in app.state()["tasks"])
