"""Issue 17, item 6: after Resolve with resolution sync on, the panel shows the task completed
and says Asana was updated, without a reload."""

from __future__ import annotations

import pytest

from tests.e2e.axe import assert_accessible
from tests.support import EXISTING_TASK
from tests.support.browser import connected_account, expect, log_in, open_panel, settle

pytestmark = pytest.mark.e2e


def test_resolve_refreshes_the_panel_and_says_asana_was_updated(page, app):
    account = connected_account(app, options={"sync_resolution": True})
    issue = account.issues[0]
    account.link(issue, EXISTING_TASK)
    log_in(page, "ada@example.com")
    open_panel(page, issue)
    status = page.locator(f"#task-status-{EXISTING_TASK}")
    expect(status).to_have_text("Open")

    page.get_by_role("button", name="Resolve").click()

    panel = page.locator("#plugin-asana")
    expect(panel.get_by_role("status")).to_have_text(
        "Asana was updated: the linked tasks were marked completed."
    )
    expect(page.locator(f"#task-status-{EXISTING_TASK}")).to_have_text("Completed")
    assert (
        app.state()["tasks"]
        and next(t for t in app.state()["tasks"] if t["gid"] == EXISTING_TASK)["completed"]
    )
    settle(page)
    assert_accessible(page)

    page.get_by_role("button", name="Reopen").click()
    expect(panel.get_by_role("status")).to_have_text(
        "Asana was updated: the linked tasks were reopened."
    )
    expect(page.locator(f"#task-status-{EXISTING_TASK}")).to_have_text("Open")
