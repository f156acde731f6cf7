"""Projects: the list, creating one, its page (DSN, snippets, links), rename and delete."""

from __future__ import annotations

import pytest
from django.urls import reverse
from social_django.models import UserSocialAuth

from integrations.models import ExternalIssue, PluginConfig
from tests.support import make_user
from tracker.models import Event, Issue, Membership, Organization, Project, ProjectKey

pytestmark = pytest.mark.django_db


def create(client, **data):
    return client.post(reverse("project_create"), data)


# --- the list -----------------------------------------------------------------------------------


def test_project_list_groups_the_persons_projects_by_organization(owner_client, project, outsider):
    response = owner_client.get(reverse("project_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme" in page and "Backend" in page
    assert reverse("project_detail", args=[project.pk]) in page
    # Another organization's project is not listed.
    assert "Theirs" not in page


def test_project_list_shows_an_empty_organization_with_a_create_link(client, organization):
    lonely = make_user("lonely")
    Membership.objects.create(organization=organization, user=lonely)
    Project.objects.filter(organization=organization).delete()
    client.force_login(lonely)
    page = client.get(reverse("project_list")).content.decode()
    assert "No projects in Acme yet" in page
    assert f"{reverse('project_create')}?organization={organization.pk}" in page


def test_top_bar_links_to_projects(owner_client):
    page = owner_client.get(reverse("issue_list")).content.decode()
    assert f'href="{reverse("project_list")}"' in page


def test_anonymous_people_are_sent_to_log_in(client, project):
    for url in (reverse("project_list"), reverse("project_create")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- creating -----------------------------------------------------------------------------------


def test_a_member_creates_a_project_and_lands_on_its_page(member_client, organization):
    response = create(member_client, organization=organization.pk, name="Web app", platform="react")
    project = Project.objects.get(name="Web app")
    assert response.status_code == 302
    assert response["Location"] == reverse("project_detail", args=[project.pk])
    assert (project.organization, project.platform) == (organization, "react")
    assert (project.slug, project.short_name) == ("web-app", "WEBAPP")
    assert project.keys.filter(is_active=True).count() == 1


def test_slug_and_short_name_are_made_unique_in_the_organization(owner_client, organization):
    Project.objects.create(
        organization=organization, name="Old", slug="billing", short_name="BILLING"
    )
    create(owner_client, organization=organization.pk, name="Billing", platform="python")
    project = Project.objects.get(name="Billing")
    assert (project.slug, project.short_name) == ("billing-2", "BILLING2")


def test_a_name_already_used_in_the_organization_is_refused(owner_client, organization, project):
    response = create(
        owner_client, organization=organization.pk, name=" backend ", platform="python"
    )
    assert response.status_code == 400
    assert "Acme already has a project named “backend”" in response.content.decode()
    assert Project.objects.filter(organization=organization).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "platform": "python"}, "This field is required."),
        ({"name": "!!!", "platform": "python"}, "at least one letter or digit"),
        ({"name": "x" * 101, "platform": "python"}, "at most 100 characters"),
        ({"name": "API", "platform": "cobol"}, "Select a valid choice"),
    ],
)
def test_invalid_projects_are_refused_with_a_message(owner_client, organization, data, message):
    response = create(owner_client, organization=organization.pk, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    # What was typed stays in the form.
    if data["name"]:
        assert data["name"][:50] in response.content.decode()
    assert not Project.objects.filter(name=data["name"]).exists()


def test_nobody_creates_a_project_in_an_organization_they_are_not_in(owner_client, outsider):
    theirs = Organization.objects.get(slug="other")
    response = create(owner_client, organization=theirs.pk, name="Sneaky", platform="python")
    assert response.status_code == 400
    assert "Pick one of your organizations." in response.content.decode()
    assert not Project.objects.filter(name="Sneaky").exists()


def test_the_create_form_preselects_the_organization_from_the_link(owner_client, organization):
    url = f"{reverse('project_create')}?organization={organization.pk}"
    page = owner_client.get(url).content.decode()
    assert f'<option value="{organization.pk}" selected>' in page


# --- the project page -----------------------------------------------------------------------------


def test_project_page_shows_the_dsn_snippets_and_links(owner_client, project, settings):
    settings.APP_BASE_URL = "https://errors.example.com/tasklink"
    key = project.keys.get()
    page = owner_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    dsn = f"https://{key.public_key}@errors.example.com/tasklink/{project.pk}"
    assert dsn in page
    assert f"sentry_sdk.init(\n    dsn=&quot;{dsn}&quot;" in page
    assert f"dsn: &quot;{dsn}&quot;" in page and "@sentry/browser" in page
    assert f'href="/?project={project.pk}"' in page
    assert f'href="/projects/{project.pk}/plugins/asana/"' in page
    # Copy buttons only appear with JavaScript (copy.js), the text is there without it.
    assert 'data-copy="dsn-' in page and "js/copy.js" in page


def test_project_page_puts_the_projects_platform_first(owner_client, project):
    project.platform = "node"
    project.save()
    page = owner_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "@sentry/node" in page
    assert page.index("npm install") < page.index("pip install sentry-sdk")


def test_project_page_hides_disabled_keys_and_says_when_none_is_left(owner_client, project):
    key = project.keys.get()
    key.is_active = False
    key.save()
    page = owner_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert key.public_key not in page
    assert "no active key" in page


def test_members_see_the_project_without_owner_actions(member_client, project):
    page = member_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert project.keys.get().public_key in page
    assert reverse("project_rename", args=[project.pk]) not in page
    assert reverse("project_delete", args=[project.pk]) not in page
    # The Asana settings are the owners' too (members would get 403).
    assert reverse("plugin_asana_settings", args=[project.pk]) not in page


def test_outsiders_get_404_on_every_project_page(outsider_client, project):
    key = project.keys.get()
    for url in (
        reverse("project_detail", args=[project.pk]),
        reverse("project_rename", args=[project.pk]),
        reverse("project_delete", args=[project.pk]),
        reverse("project_keys", args=[project.pk]),
        reverse("key_edit", args=[project.pk, key.pk]),
    ):
        assert outsider_client.get(url).status_code == 404


# --- rename and delete ---------------------------------------------------------------------------


def test_owner_renames_a_project_and_its_short_ids_stay(owner_client, project, issue):
    response = owner_client.post(reverse("project_rename", args=[project.pk]), {"name": "API"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.short_name) == ("API", "BACKEND")
    assert Issue.objects.get(pk=issue.pk).short_id == "BACKEND-1"


def test_rename_refuses_a_name_taken_in_the_organization(owner_client, organization, project):
    Project.objects.create(organization=organization, name="Web", slug="web", short_name="WEB")
    response = owner_client.post(reverse("project_rename", args=[project.pk]), {"name": "web"})
    assert response.status_code == 400
    assert "already has a project named" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Backend"


def test_members_cannot_rename_or_delete(member_client, project):
    rename = member_client.post(reverse("project_rename", args=[project.pk]), {"name": "Mine"})
    delete = member_client.post(
        reverse("project_delete", args=[project.pk]), {"confirm": "Backend"}
    )
    assert (rename.status_code, delete.status_code) == (403, 403)
    project.refresh_from_db()
    assert project.name == "Backend"


def test_delete_confirmation_names_what_will_be_lost(owner_client, owner, project, issue):
    ExternalIssue.objects.create(issue=issue, provider="asana", external_id="1", title="Fix it")
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": "1"})
    page = owner_client.get(reverse("project_delete", args=[project.pk])).content.decode()
    for lost in ("1 issue", "1 event", "1 project key", "1 linked task", "1 plugin settings"):
        assert f"<li>{lost}</li>" in page


def test_delete_needs_the_projects_name_typed(owner_client, project, issue):
    response = owner_client.post(reverse("project_delete", args=[project.pk]), {"confirm": "nope"})
    assert response.status_code == 400
    assert "Type “Backend” exactly" in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()


def test_owner_deletes_a_project_with_its_issues_events_and_keys(owner_client, project, issue):
    response = owner_client.post(
        reverse("project_delete", args=[project.pk]), {"confirm": "Backend"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("project_list")
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert not Event.objects.filter(issue_id=issue.pk).exists()
    assert not ProjectKey.objects.filter(project_id=project.pk).exists()


# --- the getting-started checklist ---------------------------------------------------------


STEPS = ("Create a project", "Send a first error", "Connect Asana", "Choose a workspace")


def steps_done(client) -> list[str]:
    page = client.get(reverse("project_list")).content.decode()
    if 'id="checklist"' not in page:
        return ["all"]
    return [
        label
        for label in (
            "Create a project",
            "Send a first error",
            "Connect Asana",
            "Choose a workspace",
        )
        if f"<s>{label}</s>" in page
    ]


def test_checklist_ticks_itself_off_from_real_state(client):
    from tracker.accounts import create_account

    user = create_account("new@example.com", "s3cret-pass-123")
    client.force_login(user)
    # The sample project sign-up makes is not the person's own project.
    assert steps_done(client) == []
    organization = user.organizations.get()
    create(client, organization=organization.pk, name="Shop", platform="python")
    assert steps_done(client) == ["Create a project"]
    project = Project.objects.get(name="Shop")
    Issue.objects.create(project=project, title="KeyError: 'sku'")
    assert steps_done(client) == ["Create a project", "Send a first error"]
    UserSocialAuth.objects.create(user=user, provider="asana", uid="1")
    assert steps_done(client) == ["Create a project", "Send a first error", "Connect Asana"]
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": "12"})
    # Complete: it disappears.
    assert steps_done(client) == ["all"]


def test_checklist_links_to_the_next_thing_to_do(client):
    from tracker.accounts import create_account

    user = create_account("new@example.com", "s3cret-pass-123")
    client.force_login(user)
    page = client.get(reverse("issue_list")).content.decode()
    assert 'id="checklist"' in page
    assert f'<a href="{reverse("project_create")}">Create a project</a>' in page
    assert f'<a href="{reverse("identities")}">Connect Asana</a>' in page


def test_checklist_can_be_dismissed_without_javascript(client):
    from tracker.accounts import create_account

    user = create_account("new@example.com", "s3cret-pass-123")
    client.force_login(user)
    response = client.post(reverse("onboarding_dismiss"), {"next": "/projects/"})
    assert response.status_code == 302 and response["Location"] == "/projects/"
    assert 'id="checklist"' not in client.get(reverse("project_list")).content.decode()
    assert 'id="checklist"' not in client.get(reverse("issue_list")).content.decode()


def test_dismiss_never_redirects_off_site(owner_client):
    response = owner_client.post(reverse("onboarding_dismiss"), {"next": "https://evil.test/"})
    assert response["Location"] == reverse("project_list")


@pytest.mark.parametrize(
    ("name", "short_name"),
    [
        ("Backend", "BACKEND"),
        ("Web app", "WEBAPP"),
        ("Checkout service", "CHECKOUT"),
        ("Überweisungs-Dienst", "UBERWEISUN"),
        ("日本", "PROJECT"),
    ],
)
def test_short_names_are_readable_prefixes(name, short_name):
    from tracker.project_forms import short_name_for

    assert short_name_for(name) == short_name
