"""Journey: an owner defines a rule on the rules page, an application sends an error with
nothing but `sentry_sdk.init(dsn=…)` and a raised exception, and the Asana task appears in the
sandbox without anyone opening the issue (the done-when of issue 15)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.e2e.axe import assert_accessible
from tests.support import configure_asana, connect_identity
from tests.support.browser import expect, log_in, make_account, screenshot

pytestmark = pytest.mark.e2e

ERROR_NAME = "PaymentDeclined: card declined by the bank"
# The application: the SDK's defaults report the uncaught exception and flush at exit.
APPLICATION = """\
import sentry_sdk
sentry_sdk.init(dsn={dsn!r})
class PaymentDeclined(Exception):
    pass
raise PaymentDeclined("card declined by the bank")
"""


def send_error(dsn: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", APPLICATION.format(dsn=dsn)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "PaymentDeclined" in run.stderr  # it did raise, uncaught


def wait_for_task(app, name: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while not (tasks := app.tasks_named(name)):
        assert time.monotonic() < deadline, f"no task named {name!r} in the sandbox"
        time.sleep(0.25)
    [task] = tasks
    return task


def test_a_rule_turns_an_error_sent_with_the_sdk_into_an_asana_task(page, app):
    user, project, _ = make_account("rules@example.com")
    connect_identity(user, app.sandbox)
    configure_asana(project)
    log_in(page, "rules@example.com")

    page.goto(f"/projects/{project.pk}/")
    dsn = page.locator("code.dsn").first.inner_text().strip()
    page.get_by_role("link", name="Rules", exact=True).click()
    expect(page.get_by_role("heading", name="No rules yet")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("New errors to Asana")
    page.get_by_label("When").select_option("first_seen")
    expect(page.get_by_role("group", name="Then create a task in Asana")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".message").first).to_contain_text("New errors to Asana")
    rule_row = page.locator("table.rules tbody tr")
    expect(rule_row).to_contain_text("A new issue is first seen")
    expect(rule_row).to_contain_text("Enabled")

    send_error(dsn)

    task = wait_for_task(app, ERROR_NAME)
    assert "PaymentDeclined" in task["notes"]
    # The rule's history says what it did, with a link to the task.
    page.get_by_role("link", name="New errors to Asana").click()
    history = page.locator("table.rule-history")
    expect(history).to_contain_text(ERROR_NAME)
    expect(history).to_contain_text("Created a task")
    screenshot(page, "rule-history", height=1700)
    assert_accessible(page)
