"""The axe-core scan: every page and state the journeys visit, with no critical or serious
violation. A page whose markup lives in a plugin template is scanned here too."""

from __future__ import annotations

import pytest

from tests.e2e.axe import assert_accessible, violations
from tests.support.browser import (
    connected_account,
    expect,
    log_in,
    open_create_form,
    open_form,
    open_panel,
    search,
)

pytestmark = pytest.mark.e2e


def test_pages_before_logging_in_are_accessible(page, app):
    for path in [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/no-such-page/",
    ]:
        page.goto(path)
        assert_accessible(page)
    # A form sent back with errors.
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error").first).to_be_visible()
    assert_accessible(page)


def test_pages_of_a_person_with_asana_connected_are_accessible(page, app):
    account = connected_account(app)
    project, issues = account.project, account.issues
    log_in(page, "ada@example.com")
    assert_accessible(page)  # the issue list

    page.fill("#id_query", "Error")
    page.wait_for_url("**/?query=Error*")
    assert_accessible(page)  # filtered by htmx

    open_panel(page, issues[0])
    assert_accessible(page)  # the issue page with its panel

    open_create_form(page)
    assert_accessible(page)
    search(page, "project", "Back")
    assert_accessible(page)  # the typeahead open

    open_form(page, "Link existing task")
    assert_accessible(page)

    for path in [
        "/account/identities/",
        f"/projects/{project.pk}/plugins/asana/",
        "/accounts/password/change/",
        "/issues/999999/",
    ]:
        page.goto(path)
        assert_accessible(page)

    page.goto("/")
    page.locator("details.menu summary").click()
    assert_accessible(page)  # the user menu open


def test_the_scan_finds_a_violation(page, app):
    """The helper itself: an image without alt text is a critical violation."""
    page.goto("/accounts/login/")
    page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<img src=\"data:,\">')"
    )
    assert [v["id"] for v in violations(page)] == ["image-alt"]


def test_plugin_states_are_accessible(page, app):
    """The Asana panel's other states: a task linked (its Unlink button), the link search and
    the settings' default search open, and linking by name without JavaScript."""
    account = connected_account(app)
    project, issues = account.project, account.issues
    issue = issues[0]
    account.link(issue)
    log_in(page, "ada@example.com")
    open_panel(page, issue)
    unlink = page.get_by_role("button", name="Unlink Fix N+1")
    expect(unlink).to_have_class("button small danger")
    assert_accessible(page)

    open_form(page, "Link existing task")
    search(page, "issue_id", "webhook")
    assert_accessible(page)

    page.goto(f"/projects/{project.pk}/plugins/asana/")
    search(page, "assignee", "Grace")
    assert_accessible(page)

    # The matches listed when a name is submitted (as without JavaScript).
    page.goto(f"/issues/{issues[1].pk}/plugins/asana/link/")
    page.locator("#id_issue_id_label").fill("webhook")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Link task").click()
    expect(page.get_by_role("radio").first).to_be_visible()
    assert_accessible(page)
