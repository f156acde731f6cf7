"""Django admin as an operator uses it: find a linked task by what they know, filter, read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import ExternalIssue, PluginConfig
from tracker.models import Issue, Organization, Project

pytestmark = pytest.mark.django_db

MAPPINGS = reverse("admin:integrations_externalissue_changelist")


@pytest.fixture
def mapping(issue, owner):
    return ExternalIssue.objects.create(
        issue=issue,
        provider="asana",
        external_id="1200000000000052",
        title="Fix login",
        url="https://app.asana.com/0/0/1200000000000052",
        created_by=owner,
    )


@pytest.fixture
def other_mapping(project):
    # The 40th issue of the project: short id BACKEND-14 (base 36).
    other = Issue.objects.create(project=project, number=40, title="Other")
    return ExternalIssue.objects.create(
        issue=other, provider="asana", external_id="1200000000000099", title="Unrelated"
    )


def listed(admin_client, **query) -> str:
    response = admin_client.get(MAPPINGS, query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "term",
    [
        "{short_id}",
        "{short_id_lower}",
        "Fix login",
        "1200000000000052",
        "https://app.asana.com/0/0/1200000000000052",
        "ada",
        "ada@example.com",
    ],
)
def test_linked_tasks_are_found_by_short_id_title_gid_url_and_user(
    admin_client, mapping, other_mapping, term
):
    short_id = mapping.issue.short_id
    body = listed(admin_client, q=term.format(short_id=short_id, short_id_lower=short_id.lower()))
    assert "Fix login" in body
    assert "Unrelated" not in body


def test_a_short_id_in_base_36_finds_its_issue(admin_client, mapping, other_mapping):
    assert other_mapping.issue.short_id == "BACKEND-14"
    body = listed(admin_client, q="BACKEND-14")
    assert "Unrelated" in body and "Fix login" not in body


def test_mappings_read_as_issue_arrow_task(admin_client, mapping):
    title = f"{mapping.issue.short_id} → Asana task “Fix login” (1200000000000052)"
    assert str(mapping) == title
    assert title in listed(admin_client)
    page = admin_client.get(reverse("admin:integrations_externalissue_change", args=[mapping.pk]))
    assert f"<h2>{title}</h2>" in page.content.decode()  # the change page's subtitle
    assert f"&rsaquo; {title}\n</div>" in page.content.decode()  # its breadcrumbs


def test_the_delete_confirmation_names_the_mapping_readably(admin_client, mapping):
    delete = reverse("admin:integrations_externalissue_delete", args=[mapping.pk])
    page = admin_client.get(delete).content.decode()
    assert f"{mapping.issue.short_id} → Asana task “Fix login” (1200000000000052)" in page
    assert "asana task 1200000000000052 on" not in page


def test_listing_mappings_costs_no_query_per_row(
    admin_client, mapping, project, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_row:
        listed(admin_client)
    for number in range(2, 22):
        issue = Issue.objects.create(project=project, number=number, title=f"Issue {number}")
        ExternalIssue.objects.create(
            issue=issue, provider="asana", external_id=f"12000000000001{number:02}", title="T"
        )
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        body = listed(admin_client)
    for number in range(2, 22):
        assert f"→ Asana task “T” (12000000000001{number:02})" in body


def test_the_project_filter_names_each_projects_organization(admin_client, mapping):
    other = Organization.objects.create(name="Globex", slug="globex")
    Project.objects.create(organization=other, name="Backend", slug="backend", short_name="GB")
    body = listed(admin_client)
    assert "Acme / Backend" in body and "Globex / Backend" in body


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"provider": "asana"}, True),
        ({"provider": "github"}, False),
        ({"origin__exact": "linked"}, False),
        ({"origin__exact": "created"}, True),
        ({"task": "completed"}, False),
        ({"task": "open"}, True),
        ({"issue__status__exact": "unresolved"}, True),
    ],
)
def test_filters_by_provider_origin_and_status(admin_client, mapping, query, shown):
    assert ("Fix login" in listed(admin_client, **query)) is shown


def test_each_provider_is_offered_once_by_its_title(admin_client, mapping, other_mapping):
    body = listed(admin_client)
    assert body.count('href="?provider=asana"') == 1
    assert "By task status" in body and "By issue status" in body


def test_filter_by_organization_and_project(admin_client, mapping, outsider):
    theirs = Project.objects.get(short_name="THEIRS")
    assert "Fix login" in listed(admin_client, project=str(mapping.issue.project_id))
    assert "Fix login" not in listed(admin_client, project=str(theirs.pk))
    organization = mapping.issue.project.organization_id
    assert "Fix login" in listed(admin_client, issue__project__organization__id__exact=organization)


def test_issues_are_found_by_short_id(admin_client, issue):
    response = admin_client.get(reverse("admin:tracker_issue_changelist"), {"q": issue.short_id})
    assert issue.title in response.content.decode()


def test_plugin_settings_are_a_form_that_writes_the_options(admin_client, project):
    config = PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": "1", "kept": "yes"}
    )
    url = reverse("admin:integrations_pluginconfig_change", args=[config.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="workspace"' in page and 'name="sync_resolution"' in page
    assert "Asana settings for Acme / Backend" in page

    response = admin_client.post(
        url,
        {
            "project": project.pk,
            "plugin": "asana",
            "workspace": " 1200000000000001 ",
            "project_default": "1200000000000008",
            "project_label": "Backend",
            "assignee": "",
            "assignee_label": "",
            "sync_resolution": "on",
        },
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert config.options == {
        "workspace": "1200000000000001",
        "project": "1200000000000008",
        "project_label": "Backend",
        "assignee": "",
        "assignee_label": "",
        "sync_resolution": True,
        "kept": "yes",
    }
    assert config.updated_by.username == "admin"


def test_plugin_settings_without_a_workspace_are_refused(admin_client, project):
    response = admin_client.post(
        reverse("admin:integrations_pluginconfig_add"), {"project": project.pk, "plugin": "asana"}
    )
    assert response.status_code == 200
    assert "Asana needs this setting." in response.content.decode()
    assert not PluginConfig.objects.exists()
