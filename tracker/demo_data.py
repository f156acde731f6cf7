"""Realistic issues, events and stack traces for the demo and for new sign-ups."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tracker.models import Event, Issue, Project


def py(filename, function, lineno, line, in_app=True):
    """A stack frame as events store it."""
    return {
        "filename": filename,
        "function": function,
        "lineno": lineno,
        "context_line": line,
        "in_app": in_app,
    }


BACKEND_ISSUES = [
    {
        "title": "ZeroDivisionError: division by zero",
        "culprit": "billing.invoices.compute_discount",
        "level": "error",
        "type": "ZeroDivisionError",
        "value": "division by zero",
        "url": "https://api.acme.test/v1/invoices/8812/preview",
        "frames": [
            py(
                "django/core/handlers/base.py",
                "_get_response",
                197,
                "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
                False,
            ),
            py(
                "billing/views.py",
                "preview_invoice",
                54,
                "totals = compute_totals(invoice, coupon=request.GET.get('coupon'))",
            ),
            py(
                "billing/invoices.py",
                "compute_totals",
                112,
                "discount = compute_discount(invoice.subtotal, coupon)",
            ),
            py(
                "billing/invoices.py",
                "compute_discount",
                87,
                "return coupon.amount_off / invoice_line_count",
            ),
        ],
    },
    {
        "title": "KeyError: 'shipping_address'",
        "culprit": "orders.checkout.build_shipment",
        "level": "error",
        "type": "KeyError",
        "value": "'shipping_address'",
        "url": "https://api.acme.test/v1/checkout",
        "frames": [
            py("orders/views.py", "checkout", 41, "shipment = build_shipment(cart, payload)"),
            py("orders/checkout.py", "build_shipment", 73, "address = payload['shipping_address']"),
        ],
    },
    {
        "title": "OperationalError: could not connect to server: Connection refused",
        "culprit": "django.db.backends.postgresql.base in get_new_connection",
        "level": "fatal",
        "type": "OperationalError",
        "value": "could not connect to server: Connection refused\n\tIs the server running on "
        'host "db.internal" (10.0.3.7) and accepting TCP/IP connections on port 5432?',
        "url": "https://api.acme.test/healthz",
        "frames": [
            py("health/views.py", "healthz", 12, "connection.ensure_connection()"),
            py(
                "django/db/backends/base/base.py", "ensure_connection", 289, "self.connect()", False
            ),
            py(
                "django/db/backends/postgresql/base.py",
                "get_new_connection",
                269,
                "connection = self.Database.connect(**conn_params)",
                False,
            ),
        ],
    },
    {
        "title": "TimeoutError: Payment gateway did not answer within 10s",
        "culprit": "payments.gateway.charge",
        "level": "error",
        "type": "TimeoutError",
        "value": "Payment gateway did not answer within 10s",
        "url": "https://api.acme.test/v1/payments",
        "frames": [
            py("payments/views.py", "create_payment", 66, "charge = gateway.charge(order)"),
            py(
                "payments/gateway.py",
                "charge",
                131,
                "response = self.session.post(url, json=body, timeout=10)",
            ),
        ],
    },
    {
        "title": "IntegrityError: duplicate key value violates unique constraint "
        '"accounts_user_email_key"',
        "culprit": "accounts.signup.create_account",
        "level": "error",
        "type": "IntegrityError",
        "value": 'duplicate key value violates unique constraint "accounts_user_email_key"\n'
        "DETAIL:  Key (email)=(ada@example.com) already exists.",
        "url": "https://api.acme.test/v1/signup",
        "frames": [
            py("accounts/signup.py", "create_account", 28, "user = User.objects.create(**fields)"),
        ],
    },
    {
        "title": "Slow query: report generation took 14.2s",
        "level": "warning",
        # A message, not an exception: grouped by its template, whatever the parameters.
        "message": "Slow query: report generation took %ss",
        "params": ["14.2"],
        "url": "",
        "frames": [],
    },
    {
        "title": "ValueError: <script>alert('xss')</script> is not a valid SKU",
        "culprit": "catalog.sku.parse_sku",
        "level": "error",
        "type": "ValueError",
        "value": "<script>alert('xss')</script> is not a valid SKU",
        "url": "https://api.acme.test/v1/products/lookup?sku=%3Cscript%3E",
        "frames": [
            py("catalog/views.py", "lookup", 20, "sku = parse_sku(request.GET['sku'])"),
            py("catalog/sku.py", "parse_sku", 9, "raise ValueError(f'{raw} is not a valid SKU')"),
        ],
    },
]


js = py  # a JavaScript frame has the same fields


FRONTEND_ISSUES = [
    {
        "title": "TypeError: Cannot read properties of undefined (reading 'map')",
        "culprit": "src/components/CartItems.tsx in CartItems",
        "level": "error",
        "type": "TypeError",
        "value": "Cannot read properties of undefined (reading 'map')",
        "url": "https://shop.acme.test/cart",
        "frames": [
            js(
                "node_modules/react-dom/cjs/react-dom.production.min.js",
                "renderWithHooks",
                4211,
                "",
                False,
            ),
            js(
                "src/components/CartItems.tsx",
                "CartItems",
                18,
                "{cart.items.map((item) => <CartRow key={item.id} item={item} />)}",
            ),
        ],
    },
    {
        "title": "ChunkLoadError: Loading chunk 412 failed.",
        "culprit": "webpack/runtime/jsonp chunk loading",
        "level": "warning",
        "type": "ChunkLoadError",
        "value": "Loading chunk 412 failed.\n(error: https://shop.acme.test/static/js/412.chunk.js)",
        "url": "https://shop.acme.test/account/orders",
        "frames": [
            js("webpack/runtime/jsonp chunk loading", "loadingEnded", 27, "", False),
            js(
                "src/routes/index.tsx",
                "lazyOrders",
                9,
                "const Orders = lazy(() => import('./Orders'));",
            ),
        ],
    },
    {
        "title": "Unhandled Promise Rejection: NetworkError when attempting to fetch resource.",
        "culprit": "src/api/client.ts in request",
        "level": "error",
        "type": "TypeError",
        "value": "NetworkError when attempting to fetch resource.",
        "url": "https://shop.acme.test/checkout",
        "frames": [
            js("src/pages/Checkout.tsx", "submitOrder", 88, "await api.post('/orders', order);"),
            js(
                "src/api/client.ts",
                "request",
                31,
                "const response = await fetch(url, { ...init, signal });",
            ),
        ],
    },
    {
        "title": "RangeError: Maximum call stack size exceeded",
        "culprit": "src/utils/deepMerge.ts in deepMerge",
        "level": "error",
        "type": "RangeError",
        "value": "Maximum call stack size exceeded",
        "url": "https://shop.acme.test/settings",
        "frames": [
            js(
                "src/hooks/useSettings.ts",
                "useSettings",
                22,
                "const merged = deepMerge(defaults, saved);",
            ),
            js(
                "src/utils/deepMerge.ts",
                "deepMerge",
                7,
                "out[key] = deepMerge(out[key], value[key]);",
            ),
        ],
    },
    {
        "title": "SecurityError: Failed to read the 'localStorage' property from 'Window'",
        "culprit": "src/store/persist.ts in loadState",
        "level": "warning",
        "type": "SecurityError",
        "value": "Failed to read the 'localStorage' property from 'Window': Access is denied "
        "for this document.",
        "url": "https://shop.acme.test/",
        "frames": [
            js(
                "src/store/persist.ts",
                "loadState",
                5,
                "const raw = window.localStorage.getItem('state');",
            ),
        ],
    },
]

BROWSERS = ["Chrome 131", "Firefox 133", "Safari 18.1", "Edge 131"]
RELEASES = ["2026.11.3", "2026.11.4", "2026.11.5"]


USERS = [
    {"id": str(n), "email": f"{name}@example.com", "ip_address": f"203.0.113.{n}"}
    for n, name in enumerate(["ada", "grace", "linus", "margaret", "alan", "barbara"], start=1)
]


def create_issues(
    project: Project, specs: list[dict], events_per_issue: int = 3, seed: int = 7
) -> list[Issue]:
    """Send the specs' events through ingestion, as an SDK's would be; idempotent (the event
    ids are fixed, and ingestion stores an event id once per issue)."""
    from ingest.store import Incoming, store

    rng = random.Random(f"{seed}-{project.pk}")
    now = timezone.now()
    issues = []
    for spec in specs:
        count = events_per_issue + rng.randint(0, 6)
        first_seen = now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        last_seen = now - timedelta(minutes=rng.randint(1, 600))
        span = (last_seen - first_seen) / max(count - 1, 1)
        payloads = [_payload(project, spec, n, first_seen + span * n, rng) for n in range(count)]
        with transaction.atomic():
            store(Incoming(project.pk, p["event_id"], p, now) for p in payloads)
        first = payloads[0]["event_id"]
        issues.append(Event.objects.get(issue__project=project, event_id=first).issue)
    return issues


def _payload(project: Project, spec: dict, n: int, when, rng: random.Random) -> dict:
    """One event as the Sentry SDK of the project's platform would send it."""
    javascript = project.platform == "javascript"
    payload = {
        "event_id": hashlib.md5(f"{project.pk}-{spec['title']}-{n}".encode()).hexdigest(),
        "timestamp": when.isoformat(),
        "level": spec["level"],
        "platform": "javascript" if javascript else "python",
        "release": rng.choice(RELEASES),
        "environment": rng.choice(["production", "production", "staging"]),
        "user": rng.choice(USERS),
        "tags": _tags(project, rng),
        "sdk": {"name": "sentry.javascript.browser", "version": "8.45.0"}
        if javascript
        else {"name": "sentry.python.django", "version": "2.75.0"},
        "contexts": _contexts(javascript, rng),
        "breadcrumbs": {"values": _breadcrumbs(spec, when)},
    }
    if spec["url"]:
        payload["request"] = {
            "method": "GET" if n % 2 else "POST",
            "url": spec["url"],
            "headers": {"User-Agent": "Mozilla/5.0"},
        }
    if "message" in spec:
        payload["logentry"] = {"message": spec["message"], "params": spec["params"]}
        return payload
    frames = [
        {**frame, "module": "" if javascript else frame["filename"][:-3].replace("/", ".")}
        for frame in spec["frames"]
    ]
    payload["exception"] = {
        "values": [
            {
                "type": spec["type"],
                "value": spec["value"],
                "mechanism": {"type": "onerror" if javascript else "django", "handled": False},
                "stacktrace": {"frames": frames},
            }
        ]
    }
    return payload


def _contexts(javascript: bool, rng: random.Random) -> dict:
    if javascript:
        name, version = rng.choice(BROWSERS).split(" ")
        return {"browser": {"name": name, "version": version}, "os": {"name": "macOS"}}
    return {
        "runtime": {"name": "CPython", "version": "3.11.7"},
        "os": {"name": "Linux", "version": "6.1"},
    }


def _breadcrumbs(spec: dict, when) -> list[dict]:
    return [
        {
            "timestamp": (when - timedelta(seconds=3)).isoformat(),
            "category": "navigation" if spec["url"] else "celery",
            "message": f"GET {spec['url']}" if spec["url"] else "task started",
            "level": "info",
        },
        {
            "timestamp": (when - timedelta(seconds=1)).isoformat(),
            "category": "query",
            "message": "SELECT ... FROM auth_user WHERE id = %s",
            "level": "info",
        },
    ]


def _tags(project: Project, rng: random.Random) -> dict:
    tags = {}
    if project.platform == "javascript":
        tags["browser"] = rng.choice(BROWSERS)
    else:
        tags["server_name"] = f"web-{rng.randint(1, 4)}"
    return tags
