"""Journey 9: with JavaScript off, the panel is a page of its own and its forms plain posts;
typed project and assignee names are resolved on the server."""

from __future__ import annotations

import pytest
from social_django.models import UserSocialAuth

from integrations.models import ExternalIssue
from tests.support import connect_identity
from tests.support.browser import (
    BACKEND_PROJECT,
    ENGINEERING,
    GRACE,
    configure,
    consent,
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


def expect_in_panel(page, text: str) -> None:
    """What the issue page's panel shows without JavaScript (inside <noscript>, which
    Playwright's text and role queries skip: CSS finds it)."""
    expect(page.locator("#panel-asana .panel-body").first).to_be_visible()
    expect(page.locator("#panel-asana .panel-body").first).to_contain_text(text)


def test_create_link_and_unlink_work_without_javascript(nojs_page, app):
    page = nojs_page
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox)
    config = configure(project)
    # Defaults the person overrides on the create page: both edits must be honoured.
    config.options |= {
        "project": BACKEND_PROJECT,
        "project_label": "Backend",
        "assignee": GRACE,
        "assignee_label": "Grace Hopper",
    }
    config.save()
    first, second = issues[0], issues[1]
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


def test_after_reconnecting_the_kept_form_reopens_with_what_was_typed(nojs_page, app):
    page = nojs_page
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox)
    configure(project)
    issue = issues[0]
    log_in(page, "ada@example.com")
    open_panel_page(page, issue)
    page.get_by_role("link", name="Create task").click()
    create_url = f"{app.url}/issues/{issue.pk}/plugins/asana/create/"
    page.wait_for_url(create_url)
    page.fill("#id_title", "Typed before the grant was revoked")
    page.fill("#id_description", "Every word survives, JavaScript or not.")
    app.control("POST", "revoke-all")
    page.get_by_role("button", name="Create task").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("What you typed is kept")
    alert.get_by_role("button", name="Reconnect Asana").click()
    consent(page, app)

    # Back on the form itself, filled in, not on a page with a link to it.
    page.wait_for_url(create_url)
    expect(page.locator("#messages")).to_contain_text("Reconnected Asana as Ada Lovelace")
    expect(page.get_by_role("status").filter(has_text="reconnecting")).to_have_text(
        "What you typed before reconnecting is back: check it, then submit."
    )
    expect(page.locator("#id_title")).to_have_value("Typed before the grant was revoked")
    expect(page.locator("#id_description")).to_have_value("Every word survives, JavaScript or not.")
    page.get_by_role("button", name="Create task").click()
    page.wait_for_url(f"{app.url}{issue.get_absolute_url()}#panel-asana")
    assert len(app.tasks_named("Typed before the grant was revoked")) == 1


def test_the_panel_page_opens_a_kept_form_instead_of_linking_to_it(nojs_page, app):
    page = nojs_page
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox)
    configure(project)
    issue = issues[0]
    log_in(page, "ada@example.com")
    page.goto(f"/issues/{issue.pk}/plugins/asana/link/")
    page.fill("#id_issue_id_label", "1200000000000001")
    page.fill("#id_comment", "Kept through a reconnect.")
    app.control("POST", "revoke-all")
    page.get_by_role("button", name="Link task").click()
    expect(page.get_by_role("alert")).to_contain_text("What you typed is kept")

    # Reconnected elsewhere (another tab, the identities page), then back to the issue.
    UserSocialAuth.objects.filter(user=user).delete()
    connect_identity(user, app.sandbox)
    page.goto(issue.get_absolute_url())
    page.get_by_role("link", name="Open the Asana panel").click()
    page.wait_for_url(f"{app.url}/issues/{issue.pk}/plugins/asana/link/")
    expect(page.locator("#id_comment")).to_have_value("Kept through a reconnect.")
