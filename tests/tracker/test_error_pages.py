"""Tasklink's own error pages, and who may see Django's technical 404."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views.csrf import csrf_failure
from django.views.defaults import bad_request, server_error

from tests.support import make_user


@pytest.mark.django_db
def test_an_unknown_url_shows_tasklinks_404_with_links(client, owner):
    client.force_login(owner)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We can’t find that page" in body
    assert 'href="/"' in body and "stylesheet" in body
    assert "URLconf" not in body


@pytest.mark.django_db
def test_an_issue_of_another_organization_is_a_plain_404(client, outsider, issue):
    client.force_login(outsider)
    response = client.get(issue.get_absolute_url())
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/no-such-page/", "/issues/999999/"])
def test_with_debug_on_people_who_are_not_staff_never_see_the_technical_404(
    client, settings, owner, path
):
    settings.DEBUG = True
    client.force_login(owner)
    response = client.get(path)
    assert response.status_code == 404
    body = response.content.decode()
    assert "We can’t find that page" in body
    assert "DEBUG = True" not in body and "URLconf" not in body


@pytest.mark.django_db
def test_anonymous_people_with_debug_on_get_tasklinks_404(client, settings):
    settings.DEBUG = True
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "DEBUG = True" not in response.content.decode()


@pytest.mark.django_db
def test_with_debug_on_staff_see_the_technical_404(client, settings):
    settings.DEBUG = True
    client.force_login(_staff())
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "DEBUG = True" in response.content.decode()


@pytest.mark.django_db
def test_with_debug_off_staff_see_tasklinks_404(client):
    client.force_login(_staff())
    response = client.get("/no-such-page/")
    assert "DEBUG = True" not in response.content.decode()
    assert "We can’t find that page" in response.content.decode()


@pytest.mark.django_db
def test_a_missing_slash_still_redirects_with_debug_on(client, settings, owner):
    settings.DEBUG = True
    client.force_login(owner)
    response = client.get("/accounts/login")
    assert response.status_code == 301
    assert response["Location"] == "/accounts/login/"


def _staff():
    user = make_user("root")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.mark.django_db
def test_403_page_for_a_permission_denied(rf, owner):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/")
    request.user = owner
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "You don’t have access to this" in response.content.decode()


# No django_db mark below: any database query raises, as it would with the database down.
def test_the_500_page_renders_without_the_database():
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "stylesheet" in body and 'href="/"' in body


def test_the_400_page_renders_without_the_database():
    response = bad_request(RequestFactory().get("/"), Exception("bad"))
    assert response.status_code == 400
    assert "That request didn’t make sense to us" in response.content.decode()


def test_a_csrf_failure_explains_the_expired_form():
    response = csrf_failure(RequestFactory().post("/"), reason="CSRF token missing.")
    body = response.content.decode()
    assert response.status_code == 403
    assert "This form expired" in body and "stylesheet" in body
