"""A URL answered as a page to browsers and as a fragment to htmx says so (Vary), and the
fragment is never stored: Back must not show it in place of the page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_fragments_say_they_vary_by_hx_request(owner_client, issue):
    client = owner_client
    page = client.get("/?query=Key")
    fragment = client.get("/?query=Key", headers={"HX-Request": "true"})
    assert b"<header" in page.content and b"<header" not in fragment.content
    for response in (page, fragment):
        assert "HX-Request" in response["Vary"]
    assert fragment["Cache-Control"] == "no-store"
    restore = client.get(
        "/?query=Key", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert b"<header" in restore.content


def test_every_fragment_says_so_not_only_the_issue_list(owner_client, issue):
    panel = f"{issue.get_absolute_url()}plugins/asana/"
    fragment = owner_client.get(panel, headers={"HX-Request": "true"})
    page = owner_client.get(panel)
    assert fragment.status_code == page.status_code == 200
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in page["Vary"]
    assert fragment["Cache-Control"] == "no-store"
    assert "no-store" not in page.get("Cache-Control", "")
