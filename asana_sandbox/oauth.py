"""Asana's OAuth 2.0 endpoints: authorize (a consent page), token (code + PKCE, refresh), revoke.

Errors at the token and revoke endpoints use RFC 6749's JSON (`error`, `error_description`);
problems with the client or redirect URI at authorize show a page instead of redirecting, since
redirecting to an unverified URI would be an open redirect.
Reference: https://developers.asana.com/docs/oauth
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from .pages import consent_page, error_page
from .state import SandboxState, User
from .web import Request, Response, Router, html_response, json_response, redirect

router = Router()

# The scopes in Asana's spec (components.securitySchemes.oauth2), plus the typeahead scope the
# operations name, in its current and its pre-2026 spelling.
KNOWN_SCOPES = frozenset(
    [
        "default",
        "openid",
        "email",
        "profile",
        "attachments:read",
        "attachments:write",
        "attachments:delete",
        "custom_fields:read",
        "custom_fields:write",
        "goals:read",
        "jobs:read",
        "ooo_entries:read",
        "ooo_entries:write",
        "ooo_entries:delete",
        "portfolios:read",
        "portfolios:write",
        "project_portfolio_settings:read",
        "project_portfolio_settings:write",
        "project_templates:read",
        "projects:read",
        "projects:write",
        "projects:delete",
        "roles:read",
        "roles:write",
        "roles:delete",
        "stories:read",
        "stories:write",
        "tags:read",
        "tags:write",
        "task_custom_types:read",
        "task_templates:read",
        "tasks:read",
        "tasks:write",
        "tasks:delete",
        "team_memberships:read",
        "teams:read",
        "time_tracking_categories:read",
        "time_tracking_categories:write",
        "time_tracking_categories:delete",
        "time_tracking_entries:read",
        "timesheet_approval_statuses:read",
        "timesheet_approval_statuses:write",
        "users:read",
        "webhooks:read",
        "webhooks:write",
        "webhooks:delete",
        "workspaces:read",
        "workspaces.typeahead:read",
        "workspace.typeahead:read",
    ]
)
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, unpadded
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636, 4.1
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _with_query(uri: str, fields: dict[str, str]) -> str:
    parts = urlsplit(uri)
    pairs = parse_qsl(parts.query, keep_blank_values=True) + list(fields.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in pairs:
        params.setdefault(key, value)
    return params


# --- authorize -------------------------------------------------------------------------------


@router.route("GET", "/-/oauth_authorize")
def authorize(req: Request, state: SandboxState) -> Response:
    return _authorize(state, _first_values(req.query_pairs), decision=None)


@router.route("POST", "/-/oauth_authorize")
def authorize_decision(req: Request, state: SandboxState) -> Response:
    params = req.form()
    return _authorize(state, params, decision=params.get("decision", ""))


def _authorize(state: SandboxState, params: dict[str, str], decision: str | None) -> Response:
    config = state.config
    client_id = params.get("client_id", "")
    if client_id != config.client_id:
        return error_page(
            400, "Unknown app", f"No app with client_id {client_id!r} is registered here."
        )
    redirect_uri = params.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in ("http", "https") or not urlsplit(redirect_uri).netloc:
        return error_page(400, "Bad redirect_uri", "redirect_uri must be an absolute http(s) URL.")
    if config.redirect_uri and redirect_uri != config.redirect_uri:
        return error_page(
            400,
            "Bad redirect_uri",
            f"redirect_uri {redirect_uri!r} does not match the one registered for this app.",
        )

    def back(**fields: str) -> Response:
        if "state" in params:
            fields["state"] = params["state"]
        return redirect(_with_query(redirect_uri, fields))

    if params.get("response_type") != "code":
        return back(
            error="unsupported_response_type",
            error_description="Only response_type=code is supported.",
        )
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if (challenge or method) and (method != "S256" or not CHALLENGE.match(challenge or "")):
        return back(
            error="invalid_request",
            error_description="PKCE needs a code_challenge with code_challenge_method=S256.",
        )
    scopes = params.get("scope", "").split() or ["default"]
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        return back(error="invalid_scope", error_description=f"Unknown scope: {' '.join(unknown)}")

    if decision is None and config.auto_approve:
        # Tests choose who signs in with ?sandbox_user=<gid or email>; else the first person.
        wanted = params.get("sandbox_user")
        user = state.find_user(wanted) if wanted else state.first_user()
        if user is None:
            return error_page(400, "Unknown sandbox user", f"No sandbox user {wanted!r}.")
        return back(code=_code_for(state, user, redirect_uri, scopes, challenge))

    users = list(state.users.values())
    if decision is None:
        preselected = state.find_user(params.get("sandbox_user", ""))
        shown = dict(params, user=preselected.gid) if preselected else params
        return html_response(200, consent_page(shown, users, scopes), headers=NO_STORE)
    if decision == "deny":
        return back(error="access_denied")
    user = state.find_user(params.get("user", ""))
    if decision != "approve" or user is None:
        page = consent_page(params, users, scopes, error="Choose a person, then Allow or Deny.")
        return html_response(400, page, headers=NO_STORE)
    return back(code=_code_for(state, user, redirect_uri, scopes, challenge))


def _code_for(
    state: SandboxState, user: User, redirect_uri: str, scopes: list[str], challenge: str | None
) -> str:
    return state.issue_code(user.gid, redirect_uri, scopes, challenge or None).code


# --- token -----------------------------------------------------------------------------------


def oauth_error(status: int, error: str, description: str) -> Response:
    headers = list(NO_STORE)
    if status == 401:
        headers.append(("WWW-Authenticate", 'Basic realm="asana-sandbox"'))
    return json_response(
        status, {"error": error, "error_description": description}, headers=headers
    )


def _client_credentials(req: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """From HTTP Basic (RFC 6749, 2.3.1: each part form-encoded) or from the form body."""
    scheme, _, encoded = (req.header("authorization") or "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))
    return form.get("client_id") or None, form.get("client_secret") or None


def _authenticate_client(
    req: Request, state: SandboxState, form: dict[str, str]
) -> Response | None:
    client_id, secret = _client_credentials(req, form)
    if not client_id or not secret:
        return oauth_error(400, "invalid_request", "client_id and client_secret are required.")
    config = state.config
    if client_id != config.client_id or not hmac.compare_digest(secret, config.client_secret):
        return oauth_error(401, "invalid_client", "Client authentication failed.")
    return None


@router.route("POST", "/-/oauth_token")
def token(req: Request, state: SandboxState) -> Response:
    form = req.form()
    grant_type = form.get("grant_type")
    if not grant_type:
        return oauth_error(400, "invalid_request", "grant_type is required.")
    refused = _authenticate_client(req, state, form)
    if refused is not None:
        return refused
    if grant_type == "authorization_code":
        return _exchange_code(state, form)
    if grant_type == "refresh_token":
        return _refresh(state, form)
    return oauth_error(
        400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported."
    )


def _exchange_code(state: SandboxState, form: dict[str, str]) -> Response:
    for required in ("code", "redirect_uri"):
        if not form.get(required):
            return oauth_error(400, "invalid_request", f"{required} is required.")
    code = state.codes.get(form["code"])
    if code is None or code.client_id != state.config.client_id:
        return oauth_error(400, "invalid_grant", "The authorization code is invalid.")
    if code.used:
        # A replayed code may be stolen: revoke what it bought (RFC 6749, 4.1.2).
        if code.grant:
            state.revoke_grant(code.grant)
        return oauth_error(400, "invalid_grant", "The authorization code was already used.")
    code.used = True
    if code.expires_at <= state.now():
        return oauth_error(400, "invalid_grant", "The authorization code has expired.")
    if form["redirect_uri"] != code.redirect_uri:
        return oauth_error(
            400, "invalid_grant", "redirect_uri does not match the one used to authorize."
        )
    if not code.code_challenge and "code_verifier" in form:
        # A verifier for a code issued without a challenge is a PKCE downgrade: someone holding
        # a code that was never bound to a verifier tries to pass it off as one (RFC 9700,
        # 2.1.1; the server must refuse it).
        return oauth_error(
            400, "invalid_grant", "code_verifier was sent, but the code has no code_challenge."
        )
    if code.code_challenge:
        verifier = form.get("code_verifier", "")
        if not VERIFIER.match(verifier) or not hmac.compare_digest(
            s256(verifier), code.code_challenge
        ):
            return oauth_error(
                400, "invalid_grant", "code_verifier does not match the code_challenge."
            )
    grant = state.issue_grant(code.user, code.scopes)
    code.grant = grant.refresh_token
    return _token_response(state.token_answer(grant, include_refresh=True))


def _refresh(state: SandboxState, form: dict[str, str]) -> Response:
    refresh_token = form.get("refresh_token")
    if not refresh_token:
        return oauth_error(400, "invalid_request", "refresh_token is required.")
    grant = state.grants.get(refresh_token)
    if grant is None or grant.revoked or grant.client_id != state.config.client_id:
        return oauth_error(400, "invalid_grant", "The refresh token is invalid or was revoked.")
    # As Asana does: a new access token, and no new refresh token (the old one stays valid).
    return _token_response(state.token_answer(grant, include_refresh=False))


def _token_response(answer: dict[str, Any]) -> Response:
    return json_response(200, answer, headers=NO_STORE)


# --- revoke ----------------------------------------------------------------------------------


@router.route("POST", "/-/oauth_revoke")
def revoke(req: Request, state: SandboxState) -> Response:
    form = req.form()
    refused = _authenticate_client(req, state, form)
    if refused is not None:
        return refused
    token_value = form.get("token")
    if not token_value:
        return oauth_error(400, "invalid_request", "token is required.")
    if token_value in state.grants:
        state.revoke_grant(token_value)
    elif token_value in state.tokens:
        state.tokens[token_value].revoked = True
    # An unknown token is not an error (RFC 7009, 2.2): the caller's goal is met either way.
    return Response(200, b"", list(NO_STORE))
