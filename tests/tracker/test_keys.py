"""Client keys: owners add, edit, disable, enable and rotate them; members only read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tracker.models import ProjectKey

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def key(project):
    return project.keys.get()


def test_dsn_keeps_the_path_prefix_of_app_base_url(key, project, settings):
    settings.APP_BASE_URL = "https://errors.example.com/tasklink/"
    assert key.dsn() == f"https://{key.public_key}@errors.example.com/tasklink/{project.pk}"
    settings.APP_BASE_URL = "http://127.0.0.1:8000"
    assert key.dsn() == f"http://{key.public_key}@127.0.0.1:8000/{project.pk}"


def test_keys_page_lists_every_key_with_its_dsn(owner_client, project, key):
    ProjectKey.objects.create(project=project, label="Old", is_active=False)
    page = owner_client.get(reverse("project_keys", args=[project.pk])).content.decode()
    assert key.dsn() in page
    assert "Old" in page and "Disabled" in page


def test_owner_adds_a_key_with_a_rate_limit(owner_client, project):
    response = owner_client.post(
        reverse("project_keys", args=[project.pk]),
        {"label": "Production", "rate_limit_per_minute": "600"},
    )
    assert response.status_code == 302
    added = project.keys.get(label="Production")
    assert (added.is_active, added.rate_limit_per_minute) == (True, 600)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "   ", "rate_limit_per_minute": ""}, "This field is required."),
        ({"label": "Prod", "rate_limit_per_minute": "0"}, "greater than or equal to 1"),
        ({"label": "Prod", "rate_limit_per_minute": "many"}, "Enter a whole number."),
        ({"label": "x" * 101, "rate_limit_per_minute": ""}, "at most 100 characters"),
    ],
)
def test_invalid_keys_are_refused_with_a_message(owner_client, project, data, message):
    response = owner_client.post(reverse("project_keys", args=[project.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert project.keys.count() == 1


def test_htmx_add_answers_the_key_list_with_the_new_key(owner_client, project):
    response = owner_client.post(
        reverse("project_keys", args=[project.pk]), {"label": "Staging"}, headers=HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="keys">')
    assert project.keys.get(label="Staging").public_key in page
    assert "Key “Staging” added." in page  # the message, swapped out of band


def test_disable_then_enable(owner_client, project, key):
    owner_client.post(reverse("key_disable", args=[project.pk, key.pk]))
    key.refresh_from_db()
    assert key.is_active is False
    owner_client.post(reverse("key_enable", args=[project.pk, key.pk]))
    key.refresh_from_db()
    assert key.is_active is True


def test_rotation_disables_the_old_key_at_once_and_keeps_its_settings(owner_client, project, key):
    key.label, key.rate_limit_per_minute = "Production", 120
    key.save()
    response = owner_client.post(reverse("key_rotate", args=[project.pk, key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    new = project.keys.get(is_active=True)
    assert key.is_active is False
    assert new.public_key != key.public_key
    assert (new.label, new.rate_limit_per_minute) == ("Production", 120)
    page = owner_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert new.dsn() in page and key.public_key not in page


def test_owner_edits_a_keys_label_and_rate_limit(owner_client, project, key):
    url = reverse("key_edit", args=[project.pk, key.pk])
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(url, {"label": "CI", "rate_limit_per_minute": ""})
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.label, key.rate_limit_per_minute) == ("CI", None)


def changing_urls(project, key) -> list[str]:
    return [reverse("project_keys", args=[project.pk])] + [
        reverse(name, args=[project.pk, key.pk])
        for name in ("key_disable", "key_enable", "key_rotate", "key_edit")
    ]


def test_members_read_keys_but_cannot_change_them(member_client, project, key):
    page = member_client.get(reverse("project_keys", args=[project.pk])).content.decode()
    assert key.dsn() in page
    assert "Add a key" not in page and "Rotate" not in page
    for url in changing_urls(project, key):
        assert member_client.post(url, {"label": "Mine"}).status_code == 403
    assert list(project.keys.values_list("label", "is_active")) == [("Default", True)]


def test_outsiders_get_404_and_change_nothing(outsider_client, project, key):
    for url in changing_urls(project, key):
        assert outsider_client.post(url, {"label": "Mine"}).status_code == 404
    assert list(project.keys.values_list("label", "is_active")) == [("Default", True)]


def test_a_key_of_another_project_is_not_found(owner_client, organization, project):
    from tracker.models import Project

    other = Project.objects.create(organization=organization, name="Web", slug="web")
    theirs = other.keys.get()
    response = owner_client.post(reverse("key_disable", args=[project.pk, theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


def test_key_actions_need_post(owner_client, project, key):
    for name in ("key_disable", "key_enable", "key_rotate"):
        assert owner_client.get(reverse(name, args=[project.pk, key.pk])).status_code == 405
