"""The issue page shows what is needed to fix the error, and pages through the events."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support.events import payment_failed_issue
from tracker.models import Event, Issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_issue(project):
    return payment_failed_issue(project)


def page_of(client, issue, query: str = "") -> str:
    response = client.get(reverse("issue_detail", args=[issue.pk]) + query)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_exception_chain_with_every_frame_most_recent_first(owner_client, rich_issue):
    page = page_of(owner_client, rich_issue)
    assert "shop.payments.PaymentFailed" in page and "card declined for order 42" in page
    assert "stripe.error.CardError" in page and "Your card was declined." in page
    assert page.index("PaymentFailed") < page.index("CardError")
    assert "Chained exception 2 of 2" in page
    assert "unhandled" in page
    # All five frames, the failing call first.
    functions = re.findall(r'class="frame-function">([^<]+)<', page)
    assert functions == ["request", "checkout", "__call__", "_get_response", "post"]


def test_app_frames_are_emphasized_and_library_frames_fold(owner_client, rich_issue):
    page = page_of(owner_client, rich_issue)
    assert page.count('class="frame frame-app"') == 1
    assert page.count('class="frame frame-system"') == 4
    # Two runs of library frames around the app frame; a trace without app frames is open.
    assert page.count("<summary>1 library frame</summary>") == 1
    assert page.count("<summary>2 library frames</summary>") == 1
    assert page.count('<li class="frame-group">') == 2


def test_context_lines_are_numbered_around_the_failing_line(owner_client, rich_issue):
    page = page_of(owner_client, rich_issue)
    block = re.search(r'<ol class="code" start="29">(.*?)</ol>', page, re.S).group(1)
    lines = re.findall(r"<li( class=\"current\")?><code>(.*?)</code></li>", block)
    assert lines == [
        ("", "def checkout(request):"),
        ("", "    order = load(request)"),
        (' class="current"', "charge(order)"),
        ("", "    return done(order)"),
    ]
    assert "Local variables (2)" in page
    assert "<dt>order</dt><dd><code><Order 42></code></dd>" in page


def test_everything_from_the_event_is_escaped(owner_client, rich_issue):
    raw = owner_client.get(reverse("issue_detail", args=[rich_issue.pk])).content.decode()
    assert "&lt;Order 42&gt;" in raw and "<Order 42>" not in raw


def test_message_breadcrumbs_request_user_tags_and_contexts(owner_client, rich_issue):
    page = page_of(owner_client, rich_issue)
    assert "Checkout failed for 42" in page
    assert "10:15:02" in page and "httplib" in page and "status_code=402" in page
    assert "SELECT * FROM orders WHERE id = 42" in page
    assert "POST https://shop.example.com/checkout/?step=pay" in page
    assert "<dt>Content-Type</dt><dd>application/json</dd>" in page
    assert "buyer@example.com" in page and "203.0.113.9" in page
    assert '<span class="tag-key">server_name</span><span class="tag-value">web-2</span>' in page
    assert re.findall(r'<h4>([^<]*) <span class="muted">([^<]*)</span></h4>', page) == [
        ("Runtime", "CPython 3.11.7"),
        ("Operating system", "Linux 6.1"),
        ("Browser", "Firefox 133.0"),
    ]


def test_release_environment_sdk_and_transaction(owner_client, rich_issue):
    page = page_of(owner_client, rich_issue)
    described = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page))
    expected = {
        "Release": "shop@1.4.2",
        "Environment": "production",
        "SDK": "sentry.python.django 2.19.2",
        "Transaction": "/checkout/",
        "Platform": "python",
    }
    assert {label: described.get(label) for label in expected} == expected


def test_an_old_event_without_data_renders_from_its_flat_fields(owner_client, issue):
    page = page_of(owner_client, issue)
    assert "ZeroDivisionError" in page and "division by zero" in page
    assert '<code class="frame-function">compute_discount</code>' in page
    assert "<dt>Environment</dt><dd>production</dd>" in page  # from its tags
    assert "<h3>Breadcrumbs</h3>" not in page and "<h3>Contexts</h3>" not in page


def test_event_data_of_unexpected_shapes_still_renders(owner_client, project):
    issue = Issue.objects.create(project=project, title="Weird")
    Event.objects.create(
        issue=issue,
        event_id="b" * 32,
        data={
            "exceptions": [{"type": 3, "frames": [None, {"lineno": "x", "context_line": 5}]}],
            "breadcrumbs": {"values": [{"timestamp": "yesterday", "message": ["a"]}, 7]},
            "contexts": {"os": "Linux", "runtime": {"name": None}},
            "user": ["not", "a", "dict"],
            "sdk": "python",
        },
        request={"headers": "nope", "query_string": {"a": "1"}},
    )
    page = page_of(owner_client, issue)
    assert "?a=1" in page and '["a"]' in page


# --- paging ---------------------------------------------------------------------------------------


@pytest.fixture
def five_events(project):
    issue = Issue.objects.create(project=project, title="ValueError: bad")
    now = timezone.now()
    for n in range(5):
        Event.objects.create(
            issue=issue,
            event_id=f"{n:032x}",
            timestamp=now - timedelta(minutes=n),
            exception_type="ValueError",
            exception_value=f"bad value {n}",
        )
    return issue


def nav_links(page: str) -> dict[str, str]:
    nav = re.search(r'<nav class="event-nav"[^>]*>(.*?)</nav>', page, re.S).group(1)
    return {
        label: href
        for href, label in re.findall(
            r'<a class="button small"[^>]*?href="([^"]+)"[^>]*>([^<]+)</a>', nav
        )
    }


def test_the_issue_page_opens_on_the_newest_event(owner_client, five_events):
    page = page_of(owner_client, five_events)
    assert "Latest event" in page and "bad value 0" in page
    url = five_events.get_absolute_url()
    assert nav_links(page) == {
        "Older ›": f"{url}?event={1:032x}",
        "Oldest »": f"{url}?event={4:032x}",
    }


def test_paging_older_and_newer(owner_client, five_events):
    url = five_events.get_absolute_url()
    page = page_of(owner_client, five_events, f"?event={2:032x}")
    assert "bad value 2" in page and "bad value 0" not in page
    assert nav_links(page) == {
        "« Latest": url,
        "‹ Newer": f"{url}?event={1:032x}",
        "Older ›": f"{url}?event={3:032x}",
        "Oldest »": f"{url}?event={4:032x}",
    }
    oldest = page_of(owner_client, five_events, f"?event={4:032x}")
    assert "Oldest event" in oldest and set(nav_links(oldest)) == {"« Latest", "‹ Newer"}


def test_events_at_the_same_moment_are_all_reachable(owner_client, project):
    issue = Issue.objects.create(project=project, title="Burst")
    moment = timezone.now()
    for n in range(3):
        Event.objects.create(issue=issue, event_id=f"c{n:031x}", timestamp=moment)
    seen, query = [], ""
    for _ in range(3):
        page = page_of(owner_client, issue, query)
        seen.append(re.search(r'class="event-id" title="([0-9a-f]+)"', page).group(1))
        older = nav_links(page).get("Older ›")
        query = "?" + older.split("?", 1)[1] if older else ""
    assert sorted(seen) == [f"c{n:031x}" for n in range(3)]
    assert query == ""


def test_uuid_form_event_ids_are_accepted(owner_client, five_events):
    uuid = "00000000-0000-0000-0000-000000000003"
    assert "bad value 3" in page_of(owner_client, five_events, f"?event={uuid}")


@pytest.mark.parametrize("wanted", ["f" * 32, "x" * 400, "\x00", "e" * 32])
def test_an_event_of_no_or_another_issue_is_404(owner_client, five_events, issue, wanted):
    # "e" * 32 is the event of the `issue` fixture: a real event, but not this issue's.
    url = reverse("issue_detail", args=[five_events.pk])
    assert owner_client.get(url, {"event": wanted}).status_code == 404


def test_outsiders_cannot_page_into_an_issue(outsider_client, five_events):
    url = reverse("issue_detail", args=[five_events.pk])
    assert outsider_client.get(url, {"event": f"{1:032x}"}).status_code == 404


def test_paging_links_work_without_javascript_and_enhance_with_htmx(owner_client, five_events):
    response = owner_client.get(five_events.get_absolute_url())
    nav = re.search(r'<nav class="event-nav".*?</nav>', response.content.decode(), re.S).group(0)
    # href for plain browsers; htmx swaps only the event and pushes the URL.
    assert nav.count('href="') == nav.count('hx-get="') == 2
    assert 'hx-select="#event"' in nav and 'hx-push-url="true"' in nav
