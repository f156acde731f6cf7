"""Browser journeys: Chromium, driven by Playwright, against the app under pytest-django's
live_server and the in-process Asana sandbox.

One Chromium for the whole e2e package, a fresh context (cookies, storage) for every test.
Without Chromium the journeys are skipped, except in CI (CI=true), where they must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import SANDBOX_ADA

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}
# Long enough for a slow CI machine, short enough that a broken journey fails quickly.
TIMEOUT_MS = 10_000

PASSWORD = "correct-horse-battery-staple-9"
ENGINEERING = "1200000000000001"  # the sandbox's "Acme Engineering" workspace
BACKEND_PROJECT = "1200000000000008"  # "Backend", in Acme Engineering
GRACE = "1200000000000004"  # "Grace Hopper", in Acme Engineering


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


@dataclass
class App:
    """The running app and the sandbox it talks to, as a journey sees them."""

    url: str
    sandbox: object

    # --- the sandbox's controls -----------------------------------------------------------

    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        url = f"{self.sandbox.url}/_sandbox/{path}"
        response = requests.request(method, url, timeout=5, **kwargs)
        response.raise_for_status()
        return response

    def fault(self, **spec) -> None:
        self.control("POST", "faults", json=spec)

    def log(self, method: str | None = None, path: str | None = None) -> list[dict]:
        entries = self.control("GET", "requests").json()
        return [
            e
            for e in entries
            if (method is None or e["method"] == method) and (path is None or e["path"] == path)
        ]

    def clear_log(self) -> None:
        self.control("DELETE", "requests")

    def state(self) -> dict:
        return self.control("GET", "state").json()

    def tasks_named(self, name: str) -> list[dict]:
        return [t for t in self.state()["tasks"] if t["name"] == name]

    def user_gid(self, who: str = SANDBOX_ADA) -> str:
        return self.sandbox.state.find_user(who).gid


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


def screenshot(page, name: str, height: int = VIEWPORT["height"]) -> Path:
    """A picture for the README, kept in test-artifacts/screenshots/ (gitignored): the top
    `height` pixels of the page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
        animations="disabled",
        caret="hide",
    )
    return path


# --- steps shared by the journeys ---------------------------------------------------------------


def make_account(email: str):
    """A Tasklink account as sign-up makes it: an organization, a sample project, issues."""
    from tracker.accounts import create_account
    from tracker.models import Issue

    user = create_account(email, PASSWORD)
    issues = list(Issue.objects.filter(project__organization__members=user).order_by("pk"))
    return user, issues[0].project, issues


def configure(project, workspace: str = ENGINEERING):
    from integrations.models import PluginConfig

    return PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": workspace}
    )


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def open_panel(page, issue) -> None:
    """The issue page, once htmx has loaded the Asana panel into it."""
    page.goto(issue.get_absolute_url())
    wait_for_panel(page)


def settle(page) -> None:
    """Wait until htmx is idle: no request out, and swapped content processed.

    htmx wires up new content (hx-get on a search box, hx-post on a form) in its settle step,
    about 20 ms after the swap; an event fired earlier, as a robot types, would be lost. People
    are slower than that, journeys must not be.
    """
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def wait_for_panel(page) -> None:
    """The panel is in, and so is the status of its tasks (read from Asana after the panel)."""
    page.locator("#plugin-asana").wait_for()
    page.wait_for_function("() => !document.querySelector('#tasks-asana[hx-get]')")
    settle(page)


def consent(page, app: App, who: str = SANDBOX_ADA) -> None:
    """On the sandbox's consent page: sign in as `who` and allow."""
    page.wait_for_url(f"{app.sandbox.url}/-/oauth_authorize**")
    page.check(f"input[name=user][value='{app.user_gid(who)}']")
    page.click("button[name=decision][value=approve]")


def search(page, name: str, query: str):
    """Type into a typeahead's search box; its list of options, once some are shown."""
    settle(page)
    page.fill(f"#id_{name}_label", query)
    options = page.locator(f"#options-{name} button")
    options.first.wait_for()
    return options


def pick(page, name: str, query: str, option: str) -> None:
    """Type into a typeahead, click the option whose text has `option`; the list closes."""
    search(page, name, query).filter(has_text=option).first.click()
    page.locator(f"#options-{name} button").first.wait_for(state="detached")


def open_form(page, action: str):
    """Click one of the panel's actions ("Create task", "Link existing task"); the form."""
    page.locator("#plugin-asana").get_by_role("link", name=action).click()
    form = page.locator("#plugin-form-asana")
    form.wait_for()
    settle(page)
    return form


def open_create_form(page):
    return open_form(page, "Create task")


def submit(form, label: str) -> None:
    """Press the form's submit button once htmx has wired up the (possibly new) form."""
    settle(form.page)
    form.get_by_role("button", name=label).click()


def expect(target, message: str | None = None):
    """Playwright's retrying assertions (imported late: without playwright the journeys skip)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target, message)
