"""Journey: the small behaviours of the page chrome (issue 17, item 9) that need a browser."""

from __future__ import annotations

import pytest

from tests.support.browser import (
    connected_account,
    expect,
    log_in,
    make_account,
    open_create_form,
    settle,
    submit,
    wait_for_panel,
)

pytestmark = pytest.mark.e2e


def test_the_user_menu_closes_on_escape_and_outside_click(page, app):
    make_account("ada@example.com")
    log_in(page, "ada@example.com")
    menu = page.locator("details.menu")
    summary = menu.locator("summary")

    summary.click()
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()

    summary.click()
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    page.locator("h1").click()
    expect(menu).not_to_have_attribute("open", "")


def test_logging_out_confirms_it(page, app):
    make_account("ada@example.com")
    log_in(page, "ada@example.com")
    page.locator("details.menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    expect(page.locator("#messages")).to_have_text("You are logged out.")


def test_an_old_success_banner_goes_when_the_next_action_fails(page, app):
    issue = connected_account(app).issues[0]
    log_in(page, "ada@example.com")
    page.goto(issue.get_absolute_url())
    wait_for_panel(page)
    # Resolve as a browser without htmx would: the page comes back with a success banner.
    page.evaluate(
        """() => {
            const form = document.querySelector('#issue-status form');
            form.insertAdjacentHTML('beforeend', '<input type=hidden name=status value=resolved>');
            form.submit();
        }"""
    )
    page.wait_for_load_state()
    wait_for_panel(page)
    expect(page.locator("#messages")).to_contain_text("Issue marked resolved.")

    form = open_create_form(page)
    form.locator("#id_title").fill("")
    submit(form, "Create task")
    settle(page)
    expect(form.locator(".error").first).to_be_visible()
    expect(page.locator("#messages .message")).to_have_count(0)


def test_the_first_tab_offers_a_skip_link_with_a_visible_focus_ring(page, app):
    make_account("ada@example.com")
    log_in(page, "ada@example.com")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#id_query")).to_be_focused()
