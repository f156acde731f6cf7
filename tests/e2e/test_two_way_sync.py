"""Journey: complete the linked task on the sandbox's own task page (as a person in Asana),
then see the issue resolved in Tasklink. The issue page is reloaded to show it (it does not
poll); the change arrives through the webhook, within the reload loop's few seconds."""

from __future__ import annotations

import time

import pytest

from integrations.models import ExternalIssue
from tests.support import EXISTING_TASK, connect_identity
from tests.support.browser import (
    BACKEND_PROJECT,
    configure,
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
    config = configure(project)
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
    expect(page.locator("#issue-status .badge")).to_have_text("Unresolved")

    page.goto(permalink)
    page.select_option("#as", label="Grace Hopper")
    page.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_role("button", name="Reopen task")).to_be_visible()

    page.goto(issue.get_absolute_url())
    deadline = time.monotonic() + 10
    while "Resolved" not in page.locator("#issue-status .badge").inner_text():
        assert time.monotonic() < deadline, "the issue was not resolved within 10 s"
        time.sleep(0.3)
        page.reload()
    activity = page.locator("#activity")
    expect(activity).to_contain_text("Grace Hopper completed the task")
    expect(activity).to_contain_text("resolved this issue after a change in Asana")
    screenshot(page, "issue-resolved-from-asana")
