"""Journeys 1 and 2: a new person signs up, opens an issue, and connects Asana from its panel."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from social_django.models import UserSocialAuth

from integrations.asana.plugin import ERR_AUTH_NOT_CONFIGURED
from tests.support import SANDBOX_ADA
from tests.support.browser import (
    PASSWORD,
    configured_account,
    consent,
    expect,
    log_in,
    open_panel,
    screenshot,
)
from tracker.models import Issue

pytestmark = pytest.mark.e2e


def test_sign_up_lands_on_the_issue_list_and_opens_a_sample_issue(page, app):
    page.goto("/accounts/signup/")
    page.fill("#id_email", "newcomer@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # The account exists once the link mailed to the address is opened and confirmed.
    page.wait_for_url(f"{app.url}/accounts/signup/sent/")
    [message] = mail.outbox
    page.goto(re.search(r"https?://\S+/accounts/signup/confirm/\S+", message.body).group(0))
    page.get_by_role("button", name="Create my account").click()

    page.wait_for_url(f"{app.url}/")
    assert "Welcome to Tasklink" in page.locator("#messages").inner_text()
    user = get_user_model().objects.get(email="newcomer@example.com")
    issues = Issue.objects.filter(project__organization__members=user)
    rows = page.locator(".issue-list .issue-row")
    assert rows.count() == issues.count() > 0

    first = rows.first.locator(".issue-title")
    title = first.inner_text()
    first.click()
    issue = issues.get(title=title)
    page.wait_for_url(f"{app.url}{issue.get_absolute_url()}")
    assert page.locator("h1.issue-heading").inner_text() == title
    # The Asana panel arrives after the page; a new project is not configured yet.
    panel = page.locator("#plugin-asana")
    expect(panel.get_by_role("link", name="Configure Asana")).to_be_visible()


def test_connect_asana_from_the_issue_panel_returns_to_the_same_issue(page, app):
    account = configured_account()
    issue = account.issues[1]
    log_in(page, "ada@example.com")
    open_panel(page, issue)
    panel = page.locator("#plugin-asana")
    expect(panel).to_contain_text(ERR_AUTH_NOT_CONFIGURED)

    panel.get_by_role("button", name="Connect Asana").click()
    consent(page, app, SANDBOX_ADA)

    page.wait_for_url(f"{app.url}{issue.get_absolute_url()}")
    expect(panel).to_contain_text("Workspace: Acme Engineering")
    expect(panel.get_by_role("link", name="Create task")).to_be_visible()
    expect(panel).not_to_contain_text(ERR_AUTH_NOT_CONFIGURED)
    identity = UserSocialAuth.objects.get(user=account.user, provider="asana")
    assert identity.uid == app.user_gid(SANDBOX_ADA)
    # The code was exchanged once, with PKCE, at the sandbox.
    assert [e["status"] for e in app.log("POST", "/-/oauth_token")] == [200]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Identities").click()
    page.wait_for_url(f"{app.url}/account/identities/")
    card = page.locator("section.card")
    assert "Ada Lovelace" in card.inner_text() and SANDBOX_ADA in card.inner_text()
    assert re.search(r"Active; access token renews in about \d+ min", card.inner_text())
    screenshot(page, "identities", height=440)
