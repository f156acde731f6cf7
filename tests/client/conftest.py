"""Fixtures for the client tests: identities, a mocked Asana (responses) and the sandbox."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from social_django.models import UserSocialAuth

from asana_sandbox.server import SandboxServer, start_sandbox

FAKE_ASANA = "https://asana.example"
API = FAKE_ASANA + "/api/1.0"
TOKEN_URL = FAKE_ASANA + "/-/oauth_token"
SANDBOX_USER = "ada@acme.test"


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The client's sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("integrations.client.sleep", slept.append)
    return slept


@pytest.fixture
def make_identity(db) -> Callable[..., UserSocialAuth]:
    def make(user, *, uid: str = "1200000000000003", **extra: Any) -> UserSocialAuth:
        data = {
            "access_token": "access-1",
            "refresh_token": "refresh-1",
            "expires_in": 3600,
            "auth_time": int(time.time()),
            "token_type": "bearer",
            "gid": uid,
            "name": "Ada Lovelace",
            "email": "ada@acme.test",
        }
        data.update(extra)
        return UserSocialAuth.objects.create(user=user, provider="asana", uid=uid, extra_data=data)

    return make


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


def token_answer(access_token: str = "access-2", **extra: Any) -> dict[str, Any]:
    """Asana's answer to a refresh: a new access token and no new refresh token."""
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 3600,
        "data": {"id": 1200000000000003, "gid": "1200000000000003", "name": "Ada Lovelace"},
        **extra,
    }


# --- the sandbox ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = start_sandbox(port=0, auto_approve=True)
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, settings) -> SandboxServer:
    """The sandbox, back at its seed, with ASANA_BASE_URL pointing at it."""
    requests.post(sandbox_server.url + "/_sandbox/reset", timeout=5).raise_for_status()
    settings.ASANA_BASE_URL = sandbox_server.url
    return sandbox_server


def sandbox_log(sandbox: SandboxServer, path: str | None = None) -> list[dict[str, Any]]:
    entries = requests.get(sandbox.url + "/_sandbox/requests", timeout=5).json()
    return [entry for entry in entries if path is None or entry["path"] == path]


def sandbox_refreshes(sandbox: SandboxServer) -> int:
    return sum(1 for e in sandbox_log(sandbox, "/-/oauth_token") if e["method"] == "POST")


def add_fault(sandbox: SandboxServer, **fault: Any) -> None:
    requests.post(sandbox.url + "/_sandbox/faults", json=fault, timeout=5).raise_for_status()


@pytest.fixture
def sandbox_identity(sandbox, owner) -> UserSocialAuth:
    """A connected identity holding real sandbox tokens, as the OAuth dance would leave it."""
    return connect_sandbox_identity(sandbox, owner)


def connect_sandbox_identity(
    sandbox: SandboxServer, user, *, auth_time: float | None = None
) -> UserSocialAuth:
    answer = sandbox_oauth_dance(sandbox, SANDBOX_USER)
    person = answer["data"]
    return UserSocialAuth.objects.create(
        user=user,
        provider="asana",
        uid=person["gid"],
        extra_data={
            "access_token": answer["access_token"],
            "refresh_token": answer["refresh_token"],
            "expires_in": answer["expires_in"],
            "auth_time": int(time.time() if auth_time is None else auth_time),
            "token_type": "bearer",
            "gid": person["gid"],
            "name": person["name"],
            "email": person["email"],
        },
    )


def sandbox_oauth_dance(sandbox: SandboxServer, person: str) -> dict[str, Any]:
    """Asana's authorization code flow with PKCE, approved at once: the token answer.

    The request log is cleared afterwards, so tests count only the calls they cause.
    """
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect_uri = "http://testserver/auth/complete/asana/"
    consent = requests.get(
        sandbox.url + "/-/oauth_authorize",
        params={
            "client_id": "sandbox-client-id",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": "s",
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
            "sandbox_user": person,
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    answer = requests.post(
        sandbox.url + "/-/oauth_token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        },
        timeout=5,
    )
    answer.raise_for_status()
    requests.delete(sandbox.url + "/_sandbox/requests", timeout=5).raise_for_status()
    return answer.json()
