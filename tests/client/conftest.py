"""Fixtures for the client tests: identities, a mocked Asana (responses) and the sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import responses
from social_django.models import UserSocialAuth

from tests import support
from tests.support import FAKE_ASANA, connect_identity


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The client's sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("integrations.client.sleep", slept.append)
    return slept


@pytest.fixture
def make_identity(db) -> Callable[..., UserSocialAuth]:
    return support.make_identity


@pytest.fixture
def identity(make_identity, owner) -> UserSocialAuth:
    return make_identity(owner)


@pytest.fixture
def expired_identity(make_identity, owner) -> UserSocialAuth:
    return make_identity(owner, auth_time=int(time.time()) - 7200)


@pytest.fixture
def fake_asana(settings) -> Iterator[responses.RequestsMock]:
    """Asana mocked at the HTTP edge; every registered answer must be asked for."""
    settings.ASANA_BASE_URL = FAKE_ASANA
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sandbox_identity(sandbox, owner) -> UserSocialAuth:
    """A connected identity holding real sandbox tokens, as the OAuth dance would leave it."""
    return connect_identity(owner, sandbox)
