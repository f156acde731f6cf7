"""Issue 17: changing the workspace on the Asana settings page never takes a second save.

With JavaScript the defaults are swapped for the new workspace's at once (htmx); without it,
saving the new workspace keeps the person on the page, the defaults ready for it, and says so.
What was typed is never lost.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from integrations.models import PluginConfig
from tests.support import (
    BACKEND_AND_GRACE,
    BACKEND_PROJECT,
    ENGINEERING,
    GRACE,
    HTMX,
    configure_asana,
    connect_identity,
    fault,
    panel_url,
)

pytestmark = pytest.mark.django_db

MARKETING = "1200000000000002"  # the sandbox's "Acme Marketing" workspace (Ada is in both)


@pytest.fixture
def saved(owner_client, owner, project, sandbox):
    """Engineering saved, with Backend and Grace as defaults."""
    configure_asana(project, options={"workspace_name": "Acme Engineering", **BACKEND_AND_GRACE})
    connect_identity(owner, sandbox)
    return owner_client


def settings_url(project) -> str:
    return reverse("plugin_asana_settings", args=[project.pk])


def as_shown(**changes: str) -> dict[str, str]:
    """The settings form as the page sends it with Engineering's saved defaults, then edited."""
    data = {
        "workspace": ENGINEERING,
        "defaults_for": ENGINEERING,
        "project": BACKEND_PROJECT,
        "project_label": "Backend",
        "project_picked": "Backend",
        "assignee": GRACE,
        "assignee_label": "Grace Hopper",
        "assignee_picked": "Grace Hopper",
        "asana_completes": "off",
    }
    return data | changes


def settings_page(client, project) -> str:
    return client.get(settings_url(project)).content.decode()


def website_redesign(sandbox) -> str:
    return next(p.gid for p in sandbox.state.projects.values() if p.name == "Website Redesign")


def cleared(name: str) -> dict[str, str]:
    """A typeahead's three fields (the gid, the typed label, the picked label), emptied."""
    return dict.fromkeys((name, f"{name}_label", f"{name}_picked"), "")


def test_the_workspace_select_asks_for_its_defaults_when_changed(saved, project):
    page = saved.get(settings_url(project)).content.decode()
    assert f'hx-get="{settings_url(project)}"' in page and 'hx-trigger="change"' in page
    assert f'name="defaults_for" value="{ENGINEERING}"' in page


def test_choosing_another_workspace_swaps_in_empty_defaults_for_it(saved, project):
    response = saved.get(settings_url(project), as_shown(workspace=MARKETING), headers=HTMX)
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="workspace-defaults">')
    assert f'name="defaults_for" value="{MARKETING}"' in fragment
    assert 'id="id_project_label" value=""' in fragment
    assert 'name="project" id="id_project" value=""' in fragment
    assert 'name="assignee" id="id_assignee" value=""' in fragment
    assert "Backend" not in fragment and "Grace Hopper" not in fragment


def test_a_name_typed_before_choosing_another_workspace_is_kept(saved, project):
    typed = as_shown(workspace=MARKETING, project="", project_label="Website")
    fragment = saved.get(settings_url(project), typed, headers=HTMX).content.decode()
    assert 'id="id_project_label" value="Website"' in fragment


def test_back_in_the_saved_workspace_its_defaults_return(saved, project):
    after_switch = as_shown(
        workspace=ENGINEERING, defaults_for=MARKETING, **cleared("project"), **cleared("assignee")
    )
    fragment = saved.get(settings_url(project), after_switch, headers=HTMX).content.decode()
    assert f'name="project" id="id_project" value="{BACKEND_PROJECT}"' in fragment
    assert 'id="id_assignee_label" value="Grace Hopper"' in fragment


def test_defaults_picked_for_the_new_workspace_are_saved_with_it(saved, project, sandbox):
    website = website_redesign(sandbox)
    picked = as_shown(
        workspace=MARKETING,
        defaults_for=MARKETING,
        project=website,
        project_label="Website Redesign",
        project_picked="Website Redesign",
        **cleared("assignee"),
    )
    response = saved.post(settings_url(project), picked)
    assert response.status_code == 302
    options = PluginConfig.objects.get(project=project).options
    assert (options["workspace"], options["project"], options["assignee"]) == (
        MARKETING,
        website,
        "",
    )


def test_without_javascript_a_new_workspace_is_saved_and_its_defaults_offered(saved, project):
    # The old workspace's defaults went along unchanged: they belong to Engineering.
    response = saved.post(settings_url(project), as_shown(workspace=MARKETING), follow=True)
    options = PluginConfig.objects.get(project=project).options
    assert options["workspace"] == MARKETING
    assert options["project"] == "" and options["assignee"] == ""
    assert response.redirect_chain == [(settings_url(project), 302)]
    page = response.content.decode()
    assert (
        "Tasks now go to Acme Marketing: you can choose its default project and assignee below."
        in page
    )
    assert f'name="defaults_for" value="{MARKETING}"' in page
    assert 'id="id_project_label"' in page


def test_without_javascript_a_name_typed_with_the_new_workspace_is_found_in_it(
    saved, project, sandbox
):
    typed = as_shown(workspace=MARKETING, project_label="Website Redesign")
    saved.post(settings_url(project), typed)
    options = PluginConfig.objects.get(project=project).options
    assert options["workspace"] == MARKETING
    assert options["project"] == website_redesign(sandbox)
    assert options["project_label"] == "Website Redesign"


def test_a_name_the_new_workspace_lacks_keeps_the_page_with_what_was_typed(saved, project):
    typed = as_shown(workspace=MARKETING, project_label="Backend (typed)")
    response = saved.post(settings_url(project), typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "No Asana project matches “Backend (typed)”" in page
    assert 'id="id_project_label" value="Backend (typed)"' in page
    assert PluginConfig.objects.get(project=project).options["workspace"] == ENGINEERING


# --- Asana down, a single workspace -------------------------------------------------------------


def test_asana_down_on_settings_is_not_a_permission_problem(saved, project, sandbox):
    PluginConfig.objects.filter(project=project).update(
        options={"workspace": ENGINEERING, "workspace_name": "Acme Engineering"}
    )
    fault(sandbox, path="/api/1.0/workspaces", method="GET", status=503, times=5)
    page = settings_page(saved, project)
    assert "Could not load your Asana workspaces" in page
    assert "does not have access to this workspace" not in page
    assert f'<option value="{ENGINEERING}" selected>Acme Engineering</option>' in page
    assert f"Workspace {ENGINEERING}" not in page


def test_saving_settings_keeps_the_workspace_name_for_the_panel(saved, project, issue, sandbox):
    PluginConfig.objects.filter(project=project).delete()
    saved.post(settings_url(project), {"workspace": ENGINEERING})
    assert PluginConfig.objects.get(project=project).options["workspace_name"] == (
        "Acme Engineering"
    )
    cache.clear()
    fault(sandbox, path="/api/1.0/workspaces", method="GET", status=503, times=5)
    panel = saved.get(panel_url("panel", issue), headers=HTMX).content.decode()
    assert "Workspace: Acme Engineering" in panel


def test_a_single_workspace_is_preselected_and_defaults_chosen_in_one_save(
    owner_client, owner, project, sandbox
):
    connect_identity(owner, sandbox, "grace@acme.test")  # Grace is in Engineering only
    page = settings_page(owner_client, project)
    assert f'<option value="{ENGINEERING}" selected>Acme Engineering</option>' in page
    assert 'id="id_project_label"' in page and 'hx-include="#id_workspace"' in page
    settings_autocomplete = reverse("plugin_asana_settings_autocomplete", args=[project.pk])
    found = owner_client.get(
        settings_autocomplete,
        {"autocomplete_field": "project", "project_label": "Back", "workspace": ENGINEERING},
    ).json()
    assert found == {"project": [{"text": "Backend", "id": BACKEND_PROJECT}]}
    owner_client.post(
        settings_url(project),
        {"workspace": ENGINEERING, "project": BACKEND_PROJECT, "project_label": "Backend"},
    )
    options = PluginConfig.objects.get(project=project).options
    assert options["workspace"] == ENGINEERING and options["project"] == BACKEND_PROJECT
