"""The browser journeys' building blocks: the app under test, and the steps people take.

tests/e2e/conftest.py makes the fixtures (Chromium, the live server, pages); the journeys import
these steps from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.support import (
    BACKEND_PROJECT,
    ENGINEERING,
    EXISTING_TASK,
    GRACE,
    SANDBOX_ADA,
    configure_asana,
    connect_identity,
)

__all__ = ["BACKEND_PROJECT", "ENGINEERING", "GRACE"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}
# Long enough for a slow CI machine, short enough that a broken journey fails quickly.
TIMEOUT_MS = 10_000

PASSWORD = "correct-horse-battery-staple-9"


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


@dataclass
class Account:
    """An account as sign-up makes it, its project configured for Asana."""

    user: Any
    project: Any
    issues: list
    config: Any
    identity: Any = None  # None until connected

    def link(self, issue, task: str = EXISTING_TASK):
        """Link the sandbox's `task` to `issue` as the panel would, without a comment."""
        from integrations.asana.plugin import plugin

        return plugin.link(
            issue=issue, user=self.user, identity=self.identity, external_id=task, comment=""
        )


def configured_account(email: str = "ada@example.com", options: dict | None = None) -> Account:
    """`make_account`, its project configured for Asana (with `options`); nothing connected."""
    user, project, issues = make_account(email)
    return Account(user, project, issues, configure_asana(project, options=options))


def connected_account(
    app: App, email: str = "ada@example.com", options: dict | None = None
) -> Account:
    """`configured_account`, connected to the sandbox's Ada."""
    account = configured_account(email, options)
    account.identity = connect_identity(account.user, app.sandbox)
    return account


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
    options = page.locator(f"#options-{name} [role=option]")
    options.first.wait_for()
    return options


def pick(page, name: str, query: str, option: str) -> None:
    """Type into a typeahead, click the option whose text has `option`; the list closes."""
    search(page, name, query).filter(has_text=option).first.click()
    page.locator(f"#options-{name} [role=option]").first.wait_for(state="detached")


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
