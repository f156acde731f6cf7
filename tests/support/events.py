"""An event with everything the issue page shows, for the page's tests and the browser
journey that photographs it."""

from __future__ import annotations

from typing import Any

from tracker.models import Event, Issue


def frame(filename, function, lineno, line, in_app, **extra) -> dict[str, Any]:
    """A stack frame as ingestion normalizes it."""
    return {
        "filename": filename,
        "abs_path": f"/srv/app/{filename}",
        "module": filename.removesuffix(".py").replace("/", "."),
        "function": function,
        "lineno": lineno,
        "context_line": line,
        "in_app": in_app,
        **extra,
    }


# The rest of the event, as ingestion normalizes it (Event.data): everything the issue page
# shows beyond the columns.
PAYMENT_FAILED = {
    "exceptions": [
        {
            "type": "PaymentFailed",
            "value": "card declined for order 42",
            "module": "shop.payments",
            "mechanism": {"type": "django", "handled": False},
            "frames": [
                frame("django/core/handlers/base.py", "_get_response", 197, "resp = cb()", False),
                frame("django/utils/deprecation.py", "__call__", 134, "return self.f()", False),
                frame(
                    "shop/views.py",
                    "checkout",
                    31,
                    "charge(order)",
                    True,
                    pre_context=["def checkout(request):", "    order = load(request)"],
                    post_context=["    return done(order)"],
                    vars={"order": "<Order 42>", "attempts": 3},
                ),
                frame("stripe/api.py", "request", 88, "raise CardError(msg)", False),
            ],
        },
        {
            "type": "CardError",
            "value": "Your card was declined.",
            "module": "stripe.error",
            "mechanism": {"type": "chained"},
            "frames": [frame("stripe/http.py", "post", 12, "raise CardError()", False)],
        },
    ],
    "breadcrumbs": [
        {
            "timestamp": "2026-11-28T10:15:02.123Z",
            "type": "http",
            "category": "httplib",
            "level": "info",
            "message": "",
            "data": {"url": "https://api.stripe.test/v1/charges", "status_code": 402},
        },
        {
            "timestamp": 1795860903.5,
            "category": "query",
            "level": "warning",
            "message": "SELECT * FROM orders WHERE id = 42",
            "data": {},
        },
    ],
    "user": {"id": "u-7", "email": "buyer@example.com", "ip_address": "203.0.113.9"},
    "contexts": {
        "runtime": {"type": "runtime", "name": "CPython", "version": "3.11.7"},
        "os": {"type": "os", "name": "Linux", "version": "6.1"},
        "browser": {"type": "browser", "name": "Firefox", "version": "133.0"},
    },
    "sdk": {"name": "sentry.python.django", "version": "2.19.2"},
    "logentry": {"message": "Checkout failed for %s", "formatted": "Checkout failed for 42"},
    "transaction": "/checkout/",
    "extra": {"cart_size": 2},
}


def payment_failed_issue(project, **fields: Any) -> Issue:
    """An issue with one event (id "a" * 32) as a Python SDK behind Django reports a declined
    payment: a chained exception, app and library frames, breadcrumbs, request, user, tags and
    contexts. `fields` set or override the event's columns, e.g. its timestamp."""
    issue = Issue.objects.create(project=project, title="PaymentFailed: card declined")
    columns = {
        "level": "error",
        "platform": "python",
        "release": "shop@1.4.2",
        "environment": "production",
        "tags": {"server_name": "web-2", "browser": "Firefox 133"},
        "request": {
            "method": "POST",
            "url": "https://shop.example.com/checkout/",
            "query_string": "step=pay",
            "headers": [["Content-Type", "application/json"], ["X-Trace", "abc"]],
            "data": {"card": "[Filtered]"},
        },
        "data": PAYMENT_FAILED,
    }
    Event.objects.create(issue=issue, event_id="a" * 32, **(columns | fields))
    return issue
