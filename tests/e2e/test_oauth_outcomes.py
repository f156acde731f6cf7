"""Issue 17, item 7: every outcome of connecting Asana lands on the page Connect was pressed on,
and says what happened."""

from __future__ import annotations

import pytest
from social_django.models import UserSocialAuth

from tests.e2e.axe import assert_accessible
from tests.support import SANDBOX_ADA, connect_identity
from tests.support.browser import (
    configured_account,
    consent,
    expect,
    log_in,
    make_account,
    open_panel,
)

pytestmark = pytest.mark.e2e


def press_connect(page) -> None:
    page.locator("#plugin-asana").get_by_role("button", name="Connect Asana").click()
    page.wait_for_url("**/-/oauth_authorize**")


def issue_without_identity(page):
    """Ada's configured project, her first issue open, no Asana connected; Connect pressed."""
    issue = configured_account().issues[0]
    log_in(page, "ada@example.com")
    open_panel(page, issue)
    press_connect(page)
    return issue


def test_decline_then_connect_from_the_issue_page(page, app):
    issue = issue_without_identity(page)
    page.check(f"input[name=user][value='{app.user_gid()}']")
    page.click("button[name=decision][value=deny]")
    page.wait_for_url(f"{app.url}{issue.get_absolute_url()}")
    expect(page.locator("#messages")).to_contain_text("You declined access at Asana")
    assert not UserSocialAuth.objects.exists()

    open_panel(page, issue)
    press_connect(page)
    consent(page, app)
    page.wait_for_url(f"{app.url}{issue.get_absolute_url()}")
    expect(page.locator("#messages")).to_contain_text(
        "Connected Asana as Ada Lovelace (ada@acme.test)."
    )
    expect(page.locator("#plugin-asana")).to_contain_text("Workspace: Acme Engineering")
    assert_accessible(page)


def test_an_account_used_by_someone_else_lands_back_on_the_issue(page, app):
    from tests.support import make_user

    connect_identity(make_user("linus"), app.sandbox, SANDBOX_ADA)
    issue = issue_without_identity(page)
    consent(page, app, SANDBOX_ADA)
    page.wait_for_url(f"{app.url}{issue.get_absolute_url()}")
    expect(page.locator("#messages")).to_contain_text(
        "This Asana account is already connected to another Tasklink user."
    )


def test_reconnect_to_another_account_says_so(page, app):
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox, "grace@acme.test")
    log_in(page, "ada@example.com")
    page.goto("/account/identities/")
    page.get_by_role("button", name="Reconnect").click()
    consent(page, app, SANDBOX_ADA)
    page.wait_for_url(f"{app.url}/account/identities/")
    expect(page.locator("#messages")).to_contain_text("in place of Grace Hopper (grace@acme.test)")
