"""Journey: complete the linked task on the sandbox's own task page (as a person in Asana), in
a second tab, and watch the issue page, open all along and never reloaded, show it resolved:
the change arrives through the webhook, and the page's live updates (every 10 s) show it."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from tests.support import EXISTING_TASK, configure_asana, connect_identity
from tests.support.browser import (
    BACKEND_PROJECT,
    expect,
    log_in,
    make_account,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_completing_the_task_in_asana_resolves_the_issue(page, app):
    user, project, issues = make_account("ada@example.com")
    issue = issues[0]
    connect_identity(user, app.sandbox)
    config = configure_asana(project)
    config.options.update(asana_completes="any", asana_reopens=True)
    config.save()
    app.control("POST", "config", json={"allow_local_webhooks": True})
    permalink = f"{app.sandbox.url}/0/{BACKEND_PROJECT}/{EXISTING_TASK}"
    ExternalIssue.objects.create(
        issue=issue,
        provider="asana",
        external_id=EXISTING_TASK,
        title="Fix N+1 query",
        url=permalink,
        created_by=user,
    )
    log_in(page, "ada@example.com")
    page.goto(issue.get_absolute_url())
    status = page.locator("#issue-status .badge")
    expect(status).to_have_text("Unresolved")
    page.evaluate("window.__not_reloaded = true")  # gone if the page were loaded again

    asana = page.context.new_page()
    asana.goto(permalink)
    asana.select_option("#as", label="Grace Hopper")
    asana.get_by_role("button", name="Mark complete").click()
    expect(asana.get_by_role("button", name="Reopen task")).to_be_visible()
    asana.close()

    # One poll interval (10 s) and the request: the page shows it by itself.
    expect(status).to_have_text("Resolved", timeout=15_000)
    assert page.evaluate("window.__not_reloaded === true")
    activity = page.locator("#activity")
    expect(activity).to_contain_text("Grace Hopper completed the task")
    expect(activity).to_contain_text("resolved this issue after a change in Asana")
    expect(page.locator("#panel-asana")).to_contain_text("Completed")
    screenshot(page, "issue-resolved-from-asana")
