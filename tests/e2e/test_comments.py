"""Journey: write a comment on the issue page; it joins the activity without a reload, and the
form is ready for the next one. A refused one keeps its text beside the message. One Asana
could not take says so under it, and "Try again" posts it."""

from __future__ import annotations

import pytest

from tests.e2e.axe import assert_accessible
from tests.support import EXISTING_TASK
from tests.support.browser import (
    connected_account,
    expect,
    log_in,
    make_account,
    screenshot,
    settle,
)

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


def test_a_comment_asana_refused_is_posted_again_from_the_activity(page, app):
    account = connected_account(app, options={"post_comments": True})
    issue = account.issues[0]
    account.link(issue)
    app.fault(path=f"/api/1.0/tasks/{EXISTING_TASK}/stories", method="POST", status=503, times=1)
    log_in(page, "ada@example.com")
    page.goto(issue.get_absolute_url())
    page.evaluate("window.__not_reloaded = true")
    settle(page)

    page.get_by_label("Comment").fill("Deploying the fix at 5pm")
    page.get_by_role("button", name="Comment").click()
    notice = page.locator("#activity .activity-problem")
    expect(notice).to_contain_text("Not posted to Asana task")
    expect(notice).to_contain_text("Asana is having trouble")
    settle(page)
    assert_accessible(page, "#activity")

    notice.get_by_role("button", name="Try again").click()
    expect(page.locator("#activity .activity-problem")).to_have_count(0)
    expect(page.locator("#activity")).to_contain_text("commented: Deploying the fix at 5pm")
    assert page.evaluate("window.__not_reloaded === true")
    stories = [s.text for s in app.sandbox.state.stories.values() if s.task == EXISTING_TASK]
    assert stories.count("Deploying the fix at 5pm") == 1
