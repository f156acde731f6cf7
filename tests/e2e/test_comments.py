"""Journey: write a comment on the issue page; it joins the activity without a reload, and the
form is ready for the next one. A refused one keeps its text beside the message."""

from __future__ import annotations

import pytest

from tests.support.browser import expect, log_in, make_account, screenshot, settle

pytestmark = pytest.mark.e2e


def test_a_comment_joins_the_activity_without_reload(page, app):
    _user, _project, issues = make_account("ada@example.com")
    issue = issues[0]
    log_in(page, "ada@example.com")
    page.goto(issue.get_absolute_url())
    page.evaluate("window.__not_reloaded = true")
    settle(page)

    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#comment-form [role=alert]")).to_have_text("Write something first.")

    page.get_by_label("Comment").fill("Seen after the Tuesday deploy")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#activity")).to_contain_text("commented: Seen after the Tuesday deploy")
    expect(page.get_by_label("Comment")).to_have_value("")
    expect(page.locator("#comment-form [role=alert]")).to_have_count(0)
    assert page.evaluate("window.__not_reloaded === true")
    screenshot(page, "issue-comment")
