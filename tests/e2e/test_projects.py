"""Journey: a new person creates a project from the top bar, copies its DSN, rotates its key,
and reads an event on the issue page; on a desktop and at phone width."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.axe import assert_accessible
from tests.support.browser import (
    SCREENSHOTS,
    TIMEOUT_MS,
    VIEWPORT,
    expect,
    log_in,
    make_account,
    screenshot,
    settle,
)
from tests.support.events import PAYMENT_FAILED, payment_failed_issue
from tracker.models import Event, Project

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def clipboard_page(browser, app):
    context = browser.new_context(
        base_url=app.url,
        viewport=VIEWPORT,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_create_a_project_and_copy_its_dsn(clipboard_page, app):
    page = clipboard_page
    make_account("maker@example.com")
    log_in(page, "maker@example.com")
    expect(page.locator("#checklist")).to_contain_text("0 of 4 done")
    screenshot(page, "issue-list-checklist")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    assert_accessible(page)
    page.get_by_role("link", name="New project", exact=True).click()
    # A mistake first: the message is next to the field, and accessible.
    page.get_by_role("button", name="Create project").click()
    expect(page.locator(".field.has-error")).to_contain_text("This field is required.")
    assert_accessible(page)
    page.fill("#id_name", "Checkout service")
    page.select_option("#id_platform", "django")
    page.get_by_role("button", name="Create project").click()

    project = Project.objects.get(name="Checkout service")
    page.wait_for_url(f"{app.url}/projects/{project.pk}/")
    dsn = project.keys.get().dsn()
    assert dsn.startswith(app.url.replace("://", f"://{project.keys.get().public_key}@"))
    expect(page.locator(f"#dsn-{project.keys.get().pk}")).to_have_text(dsn)
    expect(page.locator("#snippet-python")).to_contain_text(f'dsn="{dsn}"')
    expect(page.locator("#checklist")).to_contain_text("1 of 4 done")

    page.locator(f"button[data-copy='dsn-{project.keys.get().pk}']").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == dsn
    screenshot(page, "project-page")
    assert_accessible(page)

    page.set_viewport_size(PHONE)
    page.reload()
    screenshot(page, "project-page-phone", height=PHONE["height"])
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Dismissed, the checklist goes at once and stays gone.
    settle(page)
    page.locator("#checklist").get_by_role("button", name="Dismiss").click()
    expect(page.locator("#checklist")).to_have_count(0)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Issues")
    expect(page.locator("#checklist")).to_have_count(0)


def test_rotate_a_key_without_a_reload(page, app):
    user, project, _issues = make_account("owner@example.com")
    old = project.keys.get()
    log_in(page, "owner@example.com")
    page.goto(f"/projects/{project.pk}/keys/")
    settle(page)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.get_by_role("button", name="Rotate Default").click()
    expect(page.locator("#messages")).to_contain_text("rotated")
    new = project.keys.get(is_active=True)
    expect(page.locator(f"#dsn-{new.pk}")).to_have_text(new.dsn())
    expect(page.locator(".key-disabled")).to_contain_text(old.public_key)
    assert navigations == []
    old.refresh_from_db()
    assert old.is_active is False
    screenshot(page, "project-keys")
    assert_accessible(page)


def test_dsn_is_plain_text_without_javascript(nojs_page, app):
    user, project, _issues = make_account("plain@example.com")
    log_in(nojs_page, "plain@example.com")
    nojs_page.goto(f"/projects/{project.pk}/")
    key = project.keys.get()
    expect(nojs_page.locator(f"#dsn-{key.pk}")).to_have_text(key.dsn())
    expect(nojs_page.locator("button[data-copy]").first).to_be_hidden()


def test_issue_page_shows_the_event_on_a_phone(page, app):
    user, project, _issues = make_account("reader@example.com")
    now = timezone.now()
    issue = payment_failed_issue(project, timestamp=now)
    older = now - timedelta(hours=1)
    Event.objects.create(issue=issue, event_id="b" * 32, timestamp=older, data=PAYMENT_FAILED)
    log_in(page, "reader@example.com")
    page.goto(issue.get_absolute_url())
    page.locator("#event").screenshot(path=str(SCREENSHOTS / "issue-event.png"))
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#event")).to_contain_text("Checkout failed for 42")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "issue-phone", PHONE["height"])
    page.locator("#event").screenshot(path=str(SCREENSHOTS / "issue-event-phone.png"))

    # Library frames open on demand.
    page.get_by_text("2 library frames").click()
    expect(page.get_by_text("_get_response")).to_be_visible()
    assert_accessible(page)
    # Paging with htmx swaps the event only and updates the address.
    page.get_by_role("link", name="Older ›").click()
    page.wait_for_url(f"**?event={'b' * 32}")
    expect(page.locator("#event h2")).to_contain_text("Oldest event")
