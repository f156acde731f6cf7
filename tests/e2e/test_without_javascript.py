"""Journey 9: with JavaScript off, the panel is a page of its own and its forms plain posts;
typed project and assignee names are resolved on the server."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from tests.support import BACKEND_AND_GRACE
from tests.support.browser import ENGINEERING, connected_account, expect, log_in

pytestmark = pytest.mark.e2e

NAME = "Created without JavaScript"


def open_panel_page(page, issue) -> None:
    page.goto(issue.get_absolute_url())
    page.get_by_role("link", name="Open the Asana panel").click()
    page.wait_for_url(f"**/issues/{issue.pk}/plugins/asana/")


def expect_in_panel(page, text: str) -> None:
    """What the issue page's panel shows without JavaScript (inside <noscript>, which
    Playwright's text and role queries skip: CSS finds it)."""
    expect(page.locator("#panel-asana .panel-body").first).to_be_visible()
    expect(page.locator("#panel-asana .panel-body").first).to_contain_text(text)


def test_create_link_and_unlink_work_without_javascript(nojs_page, app):
    page = nojs_page
    # Defaults the person overrides on the create page: both edits must be honoured.
    account = connected_account(app, options=BACKEND_AND_GRACE)
    first, second = account.issues[0], account.issues[1]
    log_in(page, "ada@example.com")

    page.goto(first.get_absolute_url())
    # No "Loading…" line that would never finish: the linked tasks and a link instead.
    expect(page.locator("#panel-asana .panel-loading")).to_be_hidden()
    expect_in_panel(page, "No Asana task is linked")
    open_panel_page(page, first)
    expect(page.locator("#plugin-asana")).to_contain_text("Workspace: Acme Engineering")
    page.get_by_role("link", name="Create task").click()
    page.wait_for_url(f"**/issues/{first.pk}/plugins/asana/create/")
    expect(page.locator("#id_project_label")).to_have_value("Backend")
    page.fill("#id_title", NAME)
    page.fill("#id_description", "Typed with JavaScript off.")
    page.fill("#id_project_label", "")
    page.fill("#id_assignee_label", "Alan Turing")
    page.get_by_role("button", name="Create task").click()

    # Back on the issue, at its panel, where the new task shows.
    page.wait_for_url(f"{app.url}{first.get_absolute_url()}#panel-asana")
    expect(page.locator("#messages")).to_have_text(f"Created Asana task “{NAME}”.")
    expect_in_panel(page, NAME)
    [task] = app.tasks_named(NAME)
    assert task["notes"] == "Typed with JavaScript off."
    assert task["workspace"] == ENGINEERING
    assert task["projects"] == []
    assert task["assignee"] == app.user_gid("alan@acme.test")

    # Linking by name: the server lists the matching tasks to pick from.
    open_panel_page(page, second)
    page.get_by_role("link", name="Link existing task").click()
    page.wait_for_url(f"**/issues/{second.pk}/plugins/asana/link/")
    page.fill("#id_issue_id_label", "without JavaScript")
    page.fill("#id_comment", "Linked from a browser without JavaScript.")
    page.get_by_role("button", name="Link task").click()
    matches = page.get_by_role("group", name="Tasks matching “without JavaScript”: pick one")
    matches.get_by_role("radio", name=NAME).check()
    expect(page.locator("#id_comment")).to_have_value("Linked from a browser without JavaScript.")
    page.get_by_role("button", name="Link task").click()

    page.wait_for_url(f"{app.url}{second.get_absolute_url()}#panel-asana")
    expect(page.locator("#messages")).to_have_text(
        f"Linked Asana task “{NAME}” and commented on it."
    )
    stories = [s for s in app.state()["stories"] if s["task"] == task["gid"]]
    assert [s["text"] for s in stories] == ["Linked from a browser without JavaScript."]
    assert ExternalIssue.objects.filter(external_id=task["gid"]).count() == 2

    open_panel_page(page, second)
    page.get_by_role("button", name=f"Unlink {NAME}").click()
    page.wait_for_url(f"{app.url}{second.get_absolute_url()}#panel-asana")
    expect(page.locator("#messages")).to_contain_text(f"Unlinked “{NAME}”.")
    expect_in_panel(page, "No Asana task is linked")
    assert list(ExternalIssue.objects.values_list("issue_id", flat=True)) == [first.pk]
