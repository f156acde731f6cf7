"""Helpers for the sandbox tests: clients, the OAuth dance with PKCE, configuration."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from asana_sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer

CLIENT_ID = DEFAULT_CLIENT_ID
CLIENT_SECRET = DEFAULT_CLIENT_SECRET
REDIRECT_URI = "http://tasklink.test/auth/complete/asana/"
# The seed's people, as tests refer to them.
ADA = "ada@acme.test"  # in both workspaces
GRACE = "grace@acme.test"  # Engineering only
KATHERINE = "katherine@acme.test"  # Marketing only
TIMEOUT = 5


def configure(sandbox: SandboxServer, **settings: object) -> None:
    """Change token_ttl, auto_approve, rate_limit or redirect_uri until the next reset."""
    response = requests.post(f"{sandbox.url}/_sandbox/config", json=settings, timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def control(sandbox: SandboxServer, method: str, name: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{sandbox.url}/_sandbox/{name}", timeout=TIMEOUT, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_message(response: requests.Response) -> str:
    return response.json()["errors"][0]["message"]


@dataclass
class Client:
    """requests against the sandbox's API as one person."""

    sandbox: SandboxServer
    token: str
    refresh_token: str

    def url(self, path: str) -> str:
        return f"{self.sandbox.url}/api/1.0{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**bearer(self.token), **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", TIMEOUT)
        return requests.request(method, self.url(path), headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)


def client_for(sandbox: SandboxServer, who: str, scopes: list[str] | None = None) -> Client:
    answer = sandbox.state.issue_tokens(who, scopes)
    return Client(sandbox, answer["access_token"], answer["refresh_token"])


# --- the OAuth dance ---------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), computed here independently of the sandbox."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_params(**overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "state": "xyz-state",
        "scope": "default",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def authorize(sandbox: SandboxServer, method: str = "GET", **params: str) -> requests.Response:
    url = f"{sandbox.url}/-/oauth_authorize"
    if method == "GET":
        return requests.get(url, params=params, allow_redirects=False, timeout=TIMEOUT)
    return requests.post(url, data=params, allow_redirects=False, timeout=TIMEOUT)


def redirected_query(response: requests.Response) -> dict[str, str]:
    """The query of a redirect back to the app, which must go to the app's redirect URI."""
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def approve(
    sandbox: SandboxServer, who: str = ADA, challenge: str | None = None, **overrides: str
) -> str:
    """Go through the consent page as `who`, press Allow, and return the code the app gets."""
    params = authorize_params(**overrides)
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    page = authorize(sandbox, **params)
    assert page.status_code == 200, page.text
    user = sandbox.state.find_user(who)
    assert user is not None
    query = redirected_query(
        authorize(sandbox, "POST", **params, user=user.gid, decision="approve")
    )
    assert query["state"] == params["state"]
    return query["code"]


def token_request(sandbox: SandboxServer, **fields: str | None) -> requests.Response:
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **fields}
    form = {k: v for k, v in data.items() if v is not None}
    return requests.post(f"{sandbox.url}/-/oauth_token", data=form, timeout=TIMEOUT)


def dance(sandbox: SandboxServer, who: str = ADA, scope: str = "default") -> dict[str, Any]:
    """The whole authorization-code flow with PKCE; returns the token answer."""
    verifier, challenge = pkce_pair()
    code = approve(sandbox, who, challenge, scope=scope)
    answer = token_request(
        sandbox,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()
