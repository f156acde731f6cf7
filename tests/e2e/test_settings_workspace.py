"""Issue 17: changing an already saved workspace on the Asana settings page, then choosing its
defaults, is one save, with JavaScript (htmx swaps the defaults) and without (the page stays)."""

from __future__ import annotations

import pytest

from integrations.models import PluginConfig
from tests.e2e.axe import assert_accessible
from tests.support import configure_asana, connect_identity
from tests.support.browser import (
    BACKEND_PROJECT,
    expect,
    log_in,
    make_account,
    pick,
    settle,
)

pytestmark = pytest.mark.e2e

MARKETING = "1200000000000002"


def saved_engineering(app):
    """Ada's project saved with Engineering and Backend as its default project."""
    user, project, issues = make_account("ada@example.com")
    connect_identity(user, app.sandbox)
    config = configure_asana(project)
    config.options |= {"project": BACKEND_PROJECT, "project_label": "Backend"}
    config.save()
    return project


def test_another_workspace_gets_its_defaults_at_once_and_one_save_keeps_them(page, app):
    project = saved_engineering(app)
    log_in(page, "ada@example.com")
    page.goto(f"/projects/{project.pk}/plugins/asana/")
    expect(page.locator("#id_project_label")).to_have_value("Backend")

    page.select_option("#id_workspace", label="Acme Marketing")
    # Engineering's Backend is gone; Marketing's projects are searched.
    expect(page.locator("#id_project_label")).to_have_value("")
    settle(page)
    pick(page, "project", "Web", "Website Redesign")
    assert_accessible(page)
    page.get_by_role("button", name="Save settings").click()

    expect(page.locator("#messages")).to_have_text("Asana settings saved for Sample app.")
    expect(page.locator("#id_project_label")).to_have_value("Website Redesign")
    options = PluginConfig.objects.get(project=project).options
    assert options["workspace"] == MARKETING
    assert options["project_label"] == "Website Redesign"


def test_without_javascript_the_new_workspace_is_saved_and_its_defaults_offered(nojs_page, app):
    page = nojs_page
    project = saved_engineering(app)
    log_in(page, "ada@example.com")
    page.goto(f"/projects/{project.pk}/plugins/asana/")
    page.select_option("#id_workspace", label="Acme Marketing")
    page.get_by_role("button", name="Save settings").click()

    page.wait_for_url(f"**/projects/{project.pk}/plugins/asana/")
    expect(page.locator("#messages")).to_contain_text(
        "Tasks now go to Acme Marketing: you can choose its default project and assignee below."
    )
    expect(page.locator("#id_project_label")).to_have_value("")
    page.fill("#id_project_label", "Website Redesign")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#messages")).to_have_text("Asana settings saved for Sample app.")
    expect(page.locator("#id_project_label")).to_have_value("Website Redesign")
    assert PluginConfig.objects.get(project=project).options["workspace"] == MARKETING


def test_on_a_phone_the_settings_radios_sit_beside_their_labels(page, app):
    project = saved_engineering(app)
    log_in(page, "ada@example.com")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"/projects/{project.pk}/plugins/asana/")
    radio = page.get_by_role("radio", name="Leave the issue as it is")
    label = page.locator("label.choice").first
    radio_box, label_box = radio.bounding_box(), label.bounding_box()
    # A normal radio on the label's first line, not a full-width circle above a bold label.
    assert radio_box["width"] < 30 and radio_box["height"] < 30
    assert radio_box["y"] - label_box["y"] < 15
    assert label.evaluate("e => getComputedStyle(e).fontWeight") == "400"
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) == 0
