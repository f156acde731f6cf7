"""Access and refresh tokens never reach the database in plain text."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from social_django.models import UserSocialAuth

from integrations.asana.client import AsanaClient
from tests.support import connect_identity

pytestmark = pytest.mark.django_db


def raw_extra_data(identity) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extra_data FROM social_auth_usersocialauth WHERE id = %s", [identity.pk]
        )
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def test_a_database_dump_shows_no_usable_token(owner, sandbox):
    identity = connect_identity(owner, sandbox)
    access, refresh = identity.extra_data["access_token"], identity.extra_data["refresh_token"]
    dump = raw_extra_data(identity)
    assert access not in dump and refresh not in dump
    assert '"fernet:' in dump
    # Who the person is stays readable: it is not a secret.
    assert identity.extra_data["email"] in dump


def test_the_client_works_unchanged_with_encrypted_tokens(owner, sandbox):
    connect_identity(owner, sandbox)
    identity = UserSocialAuth.objects.get(user=owner)
    assert not identity.extra_data["access_token"].startswith("fernet:")
    assert AsanaClient(auth=identity).get_me()["data"]["email"] == "ada@acme.test"


def test_a_refreshed_token_is_stored_encrypted_too(owner, sandbox):
    identity = connect_identity(owner, sandbox)
    identity.extra_data["auth_time"] = 0
    identity.save()
    AsanaClient(auth=UserSocialAuth.objects.get(pk=identity.pk)).get_me()
    fresh = UserSocialAuth.objects.get(pk=identity.pk).extra_data["access_token"]
    assert fresh != identity.extra_data["access_token"]
    assert fresh not in raw_extra_data(identity)


def test_key_rotation_reencrypts_every_token(owner, sandbox, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    identity = connect_identity(owner, sandbox)
    token = identity.extra_data["access_token"]
    before = raw_extra_data(identity)

    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_token_key", verbosity=0)
    assert raw_extra_data(identity) != before

    settings.TOKEN_ENCRYPTION_KEYS = [new]  # the old key is gone: rows must not need it
    assert UserSocialAuth.objects.get(pk=identity.pk).extra_data["access_token"] == token


def test_a_token_no_key_can_read_is_empty_not_a_crash(owner, sandbox, settings):
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    identity = connect_identity(owner, sandbox)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert UserSocialAuth.objects.get(pk=identity.pk).extra_data["access_token"] == ""
