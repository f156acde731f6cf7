"""What the walk through the demo found on screens of every size."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from tests.support import configure_asana, connect_identity
from tests.support.browser import expect, log_in, make_account, open_form, open_panel

pytestmark = pytest.mark.e2e

SHORT_SCREEN = {"width": 1366, "height": 600}


def test_a_long_panel_on_a_short_screen_keeps_its_buttons_reachable(page, app):
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox)
    configure_asana(project)
    issue = issues[0]
    for task in list(app.sandbox.state.tasks.values())[:5]:
        ExternalIssue.objects.create(
            issue=issue, provider="asana", external_id=task.gid, title=task.name, created_by=user
        )
    log_in(page, "ada@example.com")
    page.set_viewport_size(SHORT_SCREEN)
    open_panel(page, issue)
    form = open_form(page, "Link existing task")

    # The sticky panel scrolls inside itself rather than growing past the screen's bottom.
    side = page.locator(".issue-side").bounding_box()
    assert side["height"] <= SHORT_SCREEN["height"]
    button = form.get_by_role("button", name="Link task")
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()


def test_on_a_phone_each_issue_title_sits_beside_its_checkbox(page, app):
    make_account("ada@example.com")
    log_in(page, "ada@example.com")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    row = page.locator(".issue-row").first
    box = row.get_by_role("checkbox").bounding_box()
    title = row.locator(".issue-title").bounding_box()
    assert title["x"] > box["x"] + box["width"]  # beside it
    assert title["y"] < box["y"] + box["height"]  # on the same line, not below
