"""Journey: paging through the issue list by its Newer/Older links, with htmx and without."""

from __future__ import annotations

import pytest

from tests.perf.builders import make_issues
from tests.support.browser import expect, log_in, make_account, settle

pytestmark = pytest.mark.e2e


def rows(page):
    return page.locator("#results .issue-row")


def titles(page) -> list[str]:
    return rows(page).locator(".issue-title").all_inner_texts()


def test_older_and_newer_swap_the_results_and_back_returns(page, app):
    _, project, _ = make_account("ada@example.com")
    make_issues(project, 40)
    log_in(page, "ada@example.com")
    first = titles(page)
    assert len(first) == 25

    page.get_by_role("link", name="Older →").click()
    page.wait_for_url("**/?*before=*")
    settle(page)
    expect(page.locator(".pagination")).to_contain_text("Page 2 of")
    second = titles(page)
    assert second and not set(second) & set(first)
    expect(page.locator("#results")).to_have_count(1)  # swapped, not nested

    page.get_by_role("link", name="← Newer").click()
    settle(page)
    assert titles(page) == first

    page.go_back()
    page.wait_for_url("**/?*before=*")
    expect(page.locator("header.topbar")).to_be_visible()
    expect(rows(page).first).to_contain_text(second[0])


def test_older_and_newer_work_without_javascript(nojs_page, app):
    _, project, _ = make_account("ada@example.com")
    make_issues(project, 40)
    log_in(nojs_page, "ada@example.com")
    nojs_page.get_by_role("link", name="Older →").click()
    nojs_page.wait_for_url("**/?*before=*")
    expect(nojs_page.locator(".pagination")).to_contain_text("Page 2 of")
    nojs_page.get_by_role("link", name="← Newer").click()
    expect(nojs_page.locator(".pagination")).to_contain_text("Page 1 of")
