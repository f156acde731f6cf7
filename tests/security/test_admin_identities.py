"""Security round 2: the admin shows connected identities, never their tokens, and no admin
form can write one; deleting an identity there revokes its grant."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from social_django.models import UserSocialAuth

from tests.support import connect_identity, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def identity(owner, sandbox):
    return connect_identity(owner, sandbox)


@pytest.fixture
def superuser_client(client):
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client):
    user = make_user("auditor")
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_usersocialauth"))
    client.force_login(user)
    return client


def change_url(identity) -> str:
    return f"/admin/social_django/usersocialauth/{identity.pk}/change/"


@pytest.mark.parametrize("who", ["superuser_client", "viewer_client"])
def test_the_admin_shows_the_identity_but_never_a_token(request, identity, who):
    client = request.getfixturevalue(who)
    tokens = [identity.extra_data["access_token"], identity.extra_data["refresh_token"]]
    for path in ("/admin/social_django/usersocialauth/", change_url(identity)):
        content = client.get(path).content.decode()
        assert identity.uid in content
        for token in tokens:
            assert token not in content
            # not in any part either (a token split across an input's value, say)
            assert token[-12:] not in content
    page = client.get(change_url(identity)).content.decode()
    assert "ada@acme.test" in page and "Active" in page and "UTC" in page
    assert "(hidden)" in page
    assert 'name="extra_data"' not in page


def test_no_admin_form_can_write_the_tokens(superuser_client, identity):
    before = dict(identity.extra_data)
    response = superuser_client.post(
        change_url(identity),
        {"user": identity.user_id, "provider": "asana", "uid": "666", "extra_data": "{}"},
    )
    assert response.status_code == 403
    identity.refresh_from_db()
    assert identity.extra_data == before and identity.uid != "666"
    assert superuser_client.get("/admin/social_django/usersocialauth/add/").status_code == 403


def test_deleting_an_identity_in_the_admin_revokes_its_grant(superuser_client, identity, sandbox):
    response = superuser_client.post(
        f"/admin/social_django/usersocialauth/{identity.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not UserSocialAuth.objects.exists()
    assert all(grant.revoked for grant in sandbox.state.grants.values())
