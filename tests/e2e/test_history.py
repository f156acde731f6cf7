"""Journey: the Back button after searching and filtering the issue list with htmx.

htmx fetches the list's rows as a fragment at the page's own URL and pushes that URL; Back
must show the whole page again, with the search box and filters matching the URL.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.browser import expect, log_in, make_account, settle

pytestmark = pytest.mark.e2e


def rows(page):
    return page.locator("#results .issue-row")


def search_key_error(page) -> None:
    """Type a search htmx answers with one row and pushes into the URL."""
    page.fill("#id_query", "KeyError")
    page.wait_for_url("**/?query=KeyError*")
    settle(page)
    expect(rows(page)).to_have_count(1)


def test_back_after_a_search_shows_the_styled_page_with_the_search(page, app):
    make_account("ada@example.com")
    log_in(page, "ada@example.com")
    search_key_error(page)

    rows(page).first.locator("a").click()
    page.wait_for_url("**/issues/*/")
    page.go_back()
    page.wait_for_url("**/?query=KeyError*")

    # The whole page (top bar, stylesheet applied), not the bare fragment.
    expect(page.locator("header.topbar")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    expect(page.locator("#id_query")).to_have_value("KeyError")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("KeyError")


def test_back_between_filters_shows_the_rows_and_fields_of_the_url(page, app):
    make_account("ada@example.com")
    log_in(page, "ada@example.com")
    page.select_option("#id_status", "all")
    page.wait_for_url("**/?*status=all*")
    settle(page)
    everything = rows(page).count()
    search_key_error(page)
    assert everything > 1

    page.go_back()
    page.wait_for_url(lambda url: "query" not in parse_qs(urlsplit(url).query))
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.locator("#id_query")).to_have_value("")
    expect(page.locator("#id_status")).to_have_value("all")
    expect(rows(page)).to_have_count(everything)

    page.go_forward()
    page.wait_for_url("**/?query=KeyError*")
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.locator("#id_query")).to_have_value("KeyError")
    expect(page.locator("#id_status")).to_have_value("all")
    expect(rows(page)).to_have_count(1)
