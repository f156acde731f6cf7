"""Journeys 6 to 8: Asana's tokens expire, the grant is revoked, Asana fails; the person keeps
what they typed and gets through."""

from __future__ import annotations

import re

import pytest
from social_django.models import UserSocialAuth

from tests.support.browser import (
    BACKEND_PROJECT,
    connected_account,
    consent,
    expect,
    log_in,
    open_create_form,
    open_panel,
    pick,
    settle,
    submit,
    wait_for_panel,
)

pytestmark = pytest.mark.e2e

TASKS = "/api/1.0/tasks"


@pytest.fixture
def ready(page, app):
    """Ada, connected to the sandbox, on a configured issue's page with the panel loaded."""
    account = connected_account(app)
    log_in(page, "ada@example.com")
    open_panel(page, account.issues[0])
    return account.user, account.issues[0]


def test_an_expired_token_is_refreshed_silently(page, app, ready):
    user, issue = ready
    form = open_create_form(page)
    form.locator("#id_title").fill("Created after the token expired")
    app.control("POST", "expire-tokens")
    app.clear_log()

    submit(form, "Create task")

    panel = page.locator("#plugin-asana")
    expect(panel.get_by_role("status")).to_have_text(
        "Created Asana task “Created after the token expired”."
    )
    assert page.get_by_role("alert").count() == 0
    [task] = app.tasks_named("Created after the token expired")
    # The panel shows the new task's status from Asana's answer to the create: no extra read.
    wait_for_panel(page)
    # (Two-way sync reads the new task's card fields in the background: not the panel.)
    panel_reads = [
        e for e in app.log("GET", f"{TASKS}/{task['gid']}") if "memberships" not in str(e["query"])
    ]
    assert panel_reads == []
    # The expired token was refused once, renewed once, and the task created with the new one.
    assert [e["status"] for e in app.log("POST", "/-/oauth_token")] == [200]
    assert [e["status"] for e in app.log("POST", TASKS)] == [401, 201]
    identity = UserSocialAuth.objects.get(user=user)
    assert "needs_reconnect" not in identity.extra_data


def test_a_revoked_grant_offers_reconnect_and_keeps_the_typed_form(page, app, ready):
    user, issue = ready
    form = open_create_form(page)
    form.locator("#id_title").fill("Typed before the grant was revoked")
    form.locator("#id_description").fill("Every word of this survives the trip to Asana.")
    pick(page, "project", "Back", "Backend")
    app.control("POST", "revoke-all")

    submit(form, "Create task")

    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("Reconnect Asana to continue.")
    expect(alert).to_contain_text("What you typed is kept")
    expect(form.locator("#id_title")).to_have_value("Typed before the grant was revoked")
    expect(form.locator("#id_description")).to_have_value(
        "Every word of this survives the trip to Asana."
    )
    expect(form.locator("#id_project_label")).to_have_value("Backend")
    assert app.tasks_named("Typed before the grant was revoked") == []

    alert.get_by_role("button", name="Reconnect Asana").click()
    consent(page, app)
    page.wait_for_url(f"{app.url}{issue.get_absolute_url()}")
    expect(page.locator("#messages")).to_contain_text("Reconnected Asana as Ada Lovelace")
    wait_for_panel(page)
    assert "needs_reconnect" not in UserSocialAuth.objects.get(user=user).extra_data

    # The kept form reopens by itself and says why.
    form = page.locator("#plugin-form-asana")
    expect(form.get_by_role("status")).to_have_text(
        "What you typed before reconnecting is back: check it, then submit."
    )
    settle(page)
    expect(form.locator("#id_title")).to_have_value("Typed before the grant was revoked")
    expect(form.locator("#id_description")).to_have_value(
        "Every word of this survives the trip to Asana."
    )
    expect(form.locator("#id_project_label")).to_have_value("Backend")
    expect(form.locator("#id_project")).to_have_value(BACKEND_PROJECT)
    submit(form, "Create task")

    expect(page.locator("#plugin-asana").get_by_role("status")).to_have_text(
        "Created Asana task “Typed before the grant was revoked”."
    )
    [task] = app.tasks_named("Typed before the grant was revoked")
    assert task["notes"] == "Every word of this survives the trip to Asana."
    assert task["projects"] == [BACKEND_PROJECT]


def test_asana_failing_then_rate_limiting_loses_nothing_and_retry_works(page, app, ready):
    user, issue = ready
    name = "Survives a 500 and a 429"
    form = open_create_form(page)
    form.locator("#id_title").fill(name)
    form.locator("#id_description").fill("Notes typed once.")

    app.fault(path=TASKS, method="POST", status=500, times=1)
    submit(form, "Create task")
    expect(form.get_by_role("alert")).to_contain_text(re.compile("Server Error|HTTP 500"))
    expect(form.locator("#id_title")).to_have_value(name)
    expect(form.locator("#id_description")).to_have_value("Notes typed once.")

    app.fault(path=TASKS, method="POST", status=429, times=1, retry_after=7)
    submit(form, "Create task")
    expect(form.get_by_role("alert")).to_contain_text("Try again in 7 seconds.")
    expect(form.locator("#id_title")).to_have_value(name)
    expect(form.locator("#id_description")).to_have_value("Notes typed once.")

    submit(form, "Create task")
    expect(page.locator("#plugin-asana").get_by_role("status")).to_have_text(
        f"Created Asana task “{name}”."
    )
    [task] = app.tasks_named(name)
    assert task["notes"] == "Notes typed once."
    # A POST is never retried behind the person's back: one call per click.
    assert [e["status"] for e in app.log("POST", TASKS)] == [500, 429, 201]
