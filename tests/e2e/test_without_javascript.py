"""Journey 9: with JavaScript off, the panel is a page of its own and its forms plain posts;
typed project and assignee names are resolved on the server."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from tests.support import connect_identity
from tests.support.browser import (
    BACKEND_PROJECT,
    ENGINEERING,
    GRACE,
    configure,
    expect,
    log_in,
    make_account,
)

pytestmark = pytest.mark.e2e

NAME = "Created without JavaScript"


def open_panel_page(page, issue) -> None:
    page.goto(issue.get_absolute_url())
    page.get_by_role("link", name="Open the Asana panel").click()
    page.wait_for_url(f"**/issues/{issue.pk}/plugins/asana/")


def test_create_link_and_unlink_work_without_javascript(nojs_page, app):
    page = nojs_page
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox)
    configure(project)
    first, second = issues[0], issues[1]
    log_in(page, "ada@example.com")

    open_panel_page(page, first)
    expect(page.locator("#plugin-asana")).to_contain_text("Workspace: Acme Engineering")
    page.get_by_role("link", name="Create task").click()
    page.wait_for_url(f"**/issues/{first.pk}/plugins/asana/create/")
    page.fill("#id_title", NAME)
    page.fill("#id_description", "Typed with JavaScript off.")
    page.fill("#id_project_label", "Backend")
    page.fill("#id_assignee_label", "Grace Hopper")
    page.get_by_role("button", name="Create task").click()

    page.wait_for_url(f"{app.url}{first.get_absolute_url()}")
    expect(page.locator("#messages")).to_have_text(f"Created Asana task “{NAME}”.")
    [task] = app.tasks_named(NAME)
    assert task["notes"] == "Typed with JavaScript off."
    assert task["workspace"] == ENGINEERING
    assert task["projects"] == [BACKEND_PROJECT]
    assert task["assignee"] == GRACE

    open_panel_page(page, second)
    page.get_by_role("link", name="Link existing task").click()
    page.wait_for_url(f"**/issues/{second.pk}/plugins/asana/link/")
    permalink = ExternalIssue.objects.get(issue=first).url
    page.fill("#id_issue_id", permalink)
    page.fill("#id_comment", "Linked from a browser without JavaScript.")
    page.get_by_role("button", name="Link task").click()

    page.wait_for_url(f"{app.url}{second.get_absolute_url()}")
    expect(page.locator("#messages")).to_have_text(
        f"Linked Asana task “{NAME}” and commented on it."
    )
    stories = [s for s in app.state()["stories"] if s["task"] == task["gid"]]
    assert [s["text"] for s in stories] == ["Linked from a browser without JavaScript."]
    assert ExternalIssue.objects.filter(external_id=task["gid"]).count() == 2

    open_panel_page(page, second)
    page.get_by_role("button", name=f"Unlink {NAME}").click()
    page.wait_for_url(f"{app.url}{second.get_absolute_url()}")
    expect(page.locator("#messages")).to_contain_text(f"Unlinked “{NAME}”.")
    assert list(ExternalIssue.objects.values_list("issue_id", flat=True)) == [first.pk]
