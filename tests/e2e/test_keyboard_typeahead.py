"""Issue 17, item 3: the typeahead is an ARIA combobox a keyboard alone can drive, and Enter
never submits the create form from a search box or the read-only workspace field."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from tests.e2e.axe import assert_accessible
from tests.support.browser import (
    BACKEND_PROJECT,
    GRACE,
    connected_account,
    expect,
    log_in,
    open_create_form,
    open_panel,
    settle,
)

pytestmark = pytest.mark.e2e


def type_in(page, selector: str, text: str) -> None:
    """Focus a field by keyboard-like means and type, as a person would (key by key)."""
    settle(page)
    page.focus(selector)
    page.keyboard.type(text, delay=20)


def test_keyboard_only_create_with_the_combobox(page, app):
    issue = connected_account(app).issues[0]
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    log_in(page, "ada@example.com")
    open_panel(page, issue)
    form = open_create_form(page)

    # Enter in the read-only workspace field submits nothing.
    page.focus("#id_workspace_display")
    page.keyboard.press("Enter")

    project_box = form.locator("#id_project_label")
    type_in(page, "#id_project_label", "Back")
    listbox = form.locator("#options-project")
    expect(listbox.get_by_role("option").first).to_be_visible()
    expect(project_box).to_have_attribute("aria-expanded", "true")
    # The list open: no critical or serious axe violation.
    assert_accessible(page)

    # Enter with nothing highlighted submits nothing; ArrowDown highlights the first option.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    first = listbox.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(project_box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    page.keyboard.press("Enter")
    expect(form.locator("#id_project")).to_have_value(BACKEND_PROJECT)
    expect(project_box).to_have_value("Backend")
    expect(project_box).to_have_attribute("aria-expanded", "false")
    expect(project_box).to_be_focused()

    # Escape closes the list and keeps focus; ArrowUp wraps to the last option.
    type_in(page, "#id_assignee_label", "Grace")
    assignee_box = form.locator("#id_assignee_label")
    expect(form.locator("#options-assignee").get_by_role("option").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(assignee_box).to_have_attribute("aria-expanded", "false")
    expect(assignee_box).to_be_focused()
    page.keyboard.type("r")
    page.keyboard.press("Backspace")
    page.keyboard.type(" H")
    expect(form.locator("#options-assignee").get_by_role("option").first).to_be_visible()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(form.locator("#id_assignee")).to_have_value(GRACE)
    expect(assignee_box).to_be_focused()

    assert not ExternalIssue.objects.exists(), "Enter must not have submitted the form"
    # Tab to the submit button and press it: one task, with both picks.
    form.get_by_role("button", name="Create task").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#plugin-asana").get_by_role("status")).to_contain_text("Created")
    [mapping] = ExternalIssue.objects.all()
    [task] = [t for t in app.state()["tasks"] if t["gid"] == mapping.external_id]
    assert task["projects"] == [BACKEND_PROJECT] and task["assignee"] == GRACE
    assert not [e for e in errors if "hx-disabled-elt" in e or "returned no matches" in e], errors
