"""Issue 17's panel points, server side: edits honoured without JavaScript, linking by name
without JavaScript, the typeahead's combobox markup, errors in Tasklink's words."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from integrations.models import ExternalIssue, PluginConfig
from tests.support import (
    BACKEND_AND_GRACE,
    BACKEND_PROJECT,
    EXISTING_TASK,
    GRACE,
    HTMX,
    configure_asana,
    fault,
    panel_url,
    sandbox_log,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(owner_client, connected_owner, project):
    """Ada connected, in a project whose new tasks go to Backend, assigned to Grace."""
    configure_asana(project, options=BACKEND_AND_GRACE)
    return owner_client


def created(sandbox, name: str):
    return next(t for t in sandbox.state.tasks.values() if t.name == name)


def defaults(**changes: str) -> dict[str, str]:
    """The create form as the page sends it with the project's defaults, then edited."""
    data = {
        "title": "Edited",
        **BACKEND_AND_GRACE,
        "project_picked": "Backend",
        "assignee_picked": "Grace Hopper",
    }
    return data | changes


def test_clearing_the_default_project_without_javascript_creates_it_in_no_project(
    ready, issue, sandbox
):
    ready.post(panel_url("create", issue), defaults(project_label=""))
    task = created(sandbox, "Edited")
    assert task.projects == [] and task.assignee == GRACE


def test_changing_the_default_assignee_without_javascript_assigns_the_typed_person(
    ready, issue, sandbox
):
    alan = sandbox.state.find_user("alan@acme.test").gid
    ready.post(panel_url("create", issue), defaults(assignee_label="Alan Turing"))
    task = created(sandbox, "Edited")
    assert task.assignee == alan and BACKEND_PROJECT in task.projects


def test_an_unchanged_pick_is_kept_without_a_search(ready, issue, sandbox):
    ready.post(panel_url("create", issue), defaults())
    task = created(sandbox, "Edited")
    assert task.assignee == GRACE and task.projects == [BACKEND_PROJECT]
    assert not [e for e in sandbox_log(sandbox) if "typeahead" in e["path"]]


def test_the_create_form_sends_the_picked_labels_with_the_ids(ready, issue):
    content = ready.get(panel_url("create", issue), headers=HTMX).content.decode()
    assert 'name="project_picked" id="id_project_picked" value="Backend"' in content
    assert 'name="assignee_picked" id="id_assignee_picked" value="Grace Hopper"' in content


def test_typeaheads_are_aria_comboboxes(ready, issue):
    content = ready.get(panel_url("create", issue), headers=HTMX).content.decode()
    for name in ("project", "assignee"):
        assert (
            f'role="combobox" aria-autocomplete="list" aria-expanded="false" '
            f'aria-controls="options-{name}"'
        ) in content
        assert f'id="options-{name}" role="listbox"' in content
    # The submit button's disabling is not inherited by the searches (a console error each).
    assert 'hx-disinherit="hx-disabled-elt"' in content


def test_options_are_listbox_options_carrying_the_tasks_name(ready, issue):
    response = ready.get(
        panel_url("autocomplete", issue),
        {"autocomplete_field": "issue_id", "autocomplete_query": "N+1"},
        headers=HTMX,
    )
    content = response.content.decode()
    assert 'role="option" aria-selected="false" id="option-issue_id-1"' in content
    assert 'data-pick-label="Fix N+1 query on the issue list endpoint"' in content
    assert f"(#{EXISTING_TASK}) Fix N+1" in content  # the list itself shows the gid


def test_linking_by_name_without_javascript_lists_the_matching_tasks(ready, issue, sandbox):
    response = ready.post(panel_url("link", issue), {"issue_id_label": "N+1", "comment": ""})
    assert response.status_code == 400
    content = response.content.decode()
    assert "Tasks matching “N+1”: pick one" in content
    assert f'<input type="radio" name="issue_id_match" value="{EXISTING_TASK}">' in content
    picked = ready.post(
        panel_url("link", issue),
        {
            "issue_id_label": "N+1",
            "issue_id": "",
            "issue_id_picked": "",
            "issue_id_match": EXISTING_TASK,
            "comment": "",
        },
    )
    assert picked.status_code == 302
    assert ExternalIssue.objects.filter(issue=issue, external_id=EXISTING_TASK).exists()


def test_linking_by_a_name_that_matches_nothing_says_so(ready, issue):
    response = ready.post(
        panel_url("link", issue), {"issue_id_label": "zzz nothing", "comment": ""}
    )
    assert "No Asana task matches “zzz nothing”." in response.content.decode()


def test_unlink_without_javascript_lands_on_the_panel(ready, issue):
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    response = ready.post(panel_url("unlink", issue), {"issue_id": EXISTING_TASK})
    assert response["Location"] == f"{issue.get_absolute_url()}#panel-asana"


# --- errors in Tasklink's words (items 4, 5) ---------------------------------------------------


def test_an_unknown_task_is_explained_in_tasklinks_words_and_asanas_text_logged(
    ready, issue, caplog
):
    caplog.set_level("INFO", logger="tasklink.plugins.asana")
    response = ready.post(
        panel_url("link", issue), {"issue_id": "1299999999999999", "comment": ""}, headers=HTMX
    )
    content = response.content.decode()
    assert "Unknown object" not in content
    assert "Asana could not find that task, project or person" in content
    assert "search for it by name" in content
    assert "Unknown object: 1299999999999999" in caplog.text


def test_a_rate_limit_says_when_to_try_again_without_asanas_wording(ready, issue, sandbox):
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=429, times=1, retry_after=30)
    response = ready.post(panel_url("create", issue), {"title": "Later"}, headers=HTMX)
    content = response.content.decode()
    assert "Please retry" not in content and "given amount of time" not in content
    assert "Asana is receiving too many requests right now. Try again in 30 seconds." in content


def test_a_refused_field_says_what_to_do(ready, issue):
    response = ready.post(
        panel_url("create", issue),
        {"title": "Bad assignee", "assignee": "1200000000000099", "assignee_label": "Nobody"},
        headers=HTMX,
    )
    content = response.content.decode()
    assert "Pick the person again from the list." in content
    assert "Not a recognized ID" not in content and "Unknown object" not in content


# --- the panel after Resolve (item 6) ----------------------------------------------------------


def sync_on(project) -> None:
    config = PluginConfig.objects.get(project=project)
    config.options["sync_resolution"] = True
    config.save()


def test_a_status_change_tells_the_page_and_the_panel_listens(ready, issue):
    response = ready.post(
        reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"}, headers=HTMX
    )
    assert json.loads(response["HX-Trigger"]) == {"issue-status-changed": {}}
    page = ready.get(issue.get_absolute_url()).content.decode()
    assert 'hx-trigger="issue-status-changed from:body, tasks-synced from:body"' in page
    assert f"{panel_url('panel', issue)}?after=status" in page


def test_the_panel_after_resolve_says_asana_was_updated(
    ready, issue, project, django_capture_on_commit_callbacks
):
    sync_on(project)
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    # The sync runs on the worker once the status change commits (eager here).
    with django_capture_on_commit_callbacks(execute=True):
        ready.post(reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"})
    panel = ready.get(panel_url("panel", issue), {"after": "status"}, headers=HTMX).content.decode()
    assert "Asana was updated: the linked tasks were marked completed." in panel
    assert "Completed" in panel
    with django_capture_on_commit_callbacks(execute=True):
        ready.post(reverse("issue_set_status", args=[issue.pk]), {"status": "unresolved"})
    panel = ready.get(panel_url("panel", issue), {"after": "status"}, headers=HTMX).content.decode()
    assert "Asana was updated: the linked tasks were reopened." in panel


def test_no_update_claimed_when_sync_is_off_or_a_task_did_not_follow(
    ready, issue, project, sandbox
):
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    ready.post(reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"})
    panel = ready.get(panel_url("panel", issue), {"after": "status"}, headers=HTMX).content.decode()
    assert "was updated" not in panel
    sync_on(project)
    ready.post(reverse("issue_set_status", args=[issue.pk]), {"status": "unresolved"})
    fault(sandbox, path=f"/api/1.0/tasks/{EXISTING_TASK}", method="PUT", status=500)
    ready.post(reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"})
    panel = ready.get(panel_url("panel", issue), {"after": "status"}, headers=HTMX).content.decode()
    assert "was updated" not in panel


# --- html_notes (item 10) ----------------------------------------------------------------------


def test_notes_go_to_asana_as_rich_text_with_the_stack_trace_in_pre(ready, issue, sandbox):
    from integrations.asana.plugin import default_notes

    notes = default_notes(issue)
    assert "```" not in notes
    ready.post(panel_url("create", issue), {"title": "Rich", "description": notes})
    [entry] = [e for e in sandbox_log(sandbox, "/api/1.0/tasks") if e["method"] == "POST"]
    sent = entry["body"]["data"]
    assert "notes" not in sent
    html = sent["html_notes"]
    link = f"http://testserver/issues/{issue.pk}/?referrer=asana_plugin"
    assert html.startswith(f'<body><a href="{link}">{link}</a>\n\n<pre>Traceback (most recent')
    assert html.endswith("ZeroDivisionError: division by zero</pre></body>")
    # Asana's plain notes are exactly what the person saw in the form.
    assert created(sandbox, "Rich").notes == notes


def test_rich_text_escapes_what_people_type():
    from integrations.asana.rich_text import notes_html

    html = notes_html('a < b & "c" > d\n\nhttps://x.test/?a=1&b=<2>')
    assert html == (
        '<body>a &lt; b &amp; "c" &gt; d\n\n'
        '<a href="https://x.test/?a=1&amp;b=&lt;2&gt;">https://x.test/?a=1&amp;b=&lt;2&gt;</a>'
        "</body>"
    )
    import xml.etree.ElementTree as ET

    assert "".join(ET.fromstring(html).itertext()) == (
        'a < b & "c" > d\n\nhttps://x.test/?a=1&b=<2>'
    )
