"""Browser journeys: Chromium, driven by Playwright, against the app under pytest-django's
live_server and the in-process Asana sandbox.

One Chromium for the whole e2e package, a fresh context (cookies, storage) for every test.
Without Chromium the journeys are skipped, except in CI (CI=true), where they must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.support.browser import ARTIFACTS, TIMEOUT_MS, VIEWPORT, App

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_chromium() -> str:
    """Debian's Chromium; in CI its absence is a failure, elsewhere a reason to skip."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if in_ci():
        pytest.fail(
            f"CI=true but Chromium is missing at {CHROMIUM}: the browser journeys must run in "
            "CI. Install it with `apt-get install -y chromium`.",
            pytrace=False,
        )
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip(f"No Chromium at {CHROMIUM} or on PATH: browser journeys skipped")
    return found


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One Chromium for every journey of the package.

    Package scope, not session: Playwright's sync API leaves its event loop marked as running
    in this thread, and Django refuses ORM calls while a loop runs. The journeys allow them
    (DJANGO_ALLOW_ASYNC_UNSAFE) for as long as the browser lives, and the browser stops with
    the last journey, so the rest of the suite runs with Django's check intact.
    """
    executable = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "The playwright package is missing (pip install -r requirements-dev.txt)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def live_server(request, sandbox_server) -> Iterator:
    """pytest-django's live server, started as `make demo` starts the app: pointed at the sandbox.

    The app reads some settings once, when it loads (the CSP's form-action names
    ASANA_BASE_URL), so the server starts with the sandbox's URL already set, not only
    overridden per test.
    """
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(ASANA_BASE_URL=sandbox_server.url):
        server = LiveServer(address)
        yield server
        server.stop()


@pytest.fixture
def app(live_server, sandbox, settings) -> App:
    """The live app pointed at a freshly reset sandbox (see tests/conftest.py: sandbox)."""
    settings.APP_BASE_URL = live_server.url
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    # The live server speaks plain HTTP: cookies marked Secure would not come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return App(url=live_server.url, sandbox=sandbox)


def new_context(browser, app: App, **options):
    context = browser.new_context(base_url=app.url, viewport=VIEWPORT, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser, app, request) -> Iterator:
    """A page in a fresh browser context; confirm() dialogs (Unlink) are accepted."""
    context = new_context(browser, app)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    keep_failure_screenshot(page, request)
    context.close()


@pytest.fixture
def nojs_page(browser, app, request) -> Iterator:
    """A page in a fresh context with JavaScript disabled."""
    context = new_context(browser, app, java_script_enabled=False)
    page = context.new_page()
    yield page
    keep_failure_screenshot(page, request)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def keep_failure_screenshot(page, request) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        path = ARTIFACTS / "failures" / f"{request.node.name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
