"""The social-auth backend for Asana, fixed where social-core's falls short.

social-core's AsanaOAuth2 hard-codes app.asana.com, sends no PKCE challenge, reads the uid from
/users/me only and cannot revoke. Tasklink needs the endpoints to follow ASANA_BASE_URL (the
sandbox and Asana then differ by one setting), PKCE (S256), explicit scopes, and revocation on
disconnect.
Reference: https://developers.asana.com/docs/oauth
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from social_core.backends.asana import AsanaOAuth2 as SocialCoreAsanaOAuth2
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.exceptions import AuthResponseError

# Asana's user gids are strings of digits; the identity's uid column holds at most 255.
GID = re.compile(r"^[0-9]{1,64}$")


def asana_url(path: str) -> str:
    return settings.ASANA_BASE_URL.rstrip("/") + path


# Asana answers tokens and /users/me as JSON objects: social-core's response type.
class AsanaOAuth2(BaseOAuth2PKCE[dict[str, Any]], SocialCoreAsanaOAuth2[dict[str, Any]]):
    name = "asana"

    # Only what Tasklink keeps: the tokens, when they were issued, and who the person is.
    def __init__(self, strategy: Any = None, redirect_uri: str | None = None) -> None:
        super().__init__(strategy, redirect_uri)
        # The redirect URI Asana is told is always the registered one, under APP_BASE_URL,
        # whatever Host header the request came with.
        if redirect_uri and redirect_uri.startswith("/"):
            self.redirect_uri = settings.APP_BASE_URL.rstrip("/") + redirect_uri

    EXTRA_DATA = [
        ("refresh_token", "refresh_token"),
        ("expires_in", "expires_in"),
        ("gid", "gid"),
        ("name", "name"),
        ("email", "email"),
    ]

    def authorization_url(self) -> str:
        return asana_url("/-/oauth_authorize")

    def access_token_url(self) -> str:
        return asana_url("/-/oauth_token")

    def refresh_token_url(self) -> str:
        return asana_url("/-/oauth_token")

    def revoke_token_url(self, token: str, uid: str) -> str:
        return asana_url("/-/oauth_revoke")

    def get_scope(self) -> list[str]:
        return list(self.setting("SCOPE", settings.ASANA_SCOPES))

    def get_user_id(self, details: dict[str, Any], response: dict[str, Any]) -> str:
        # Asana's token answer names the person in `data`; its gid is the stable id.
        data = response.get("data") or {}
        gid = str(data.get("gid") or response.get("gid") or "")
        if not GID.match(gid):
            raise AuthResponseError(self, "Asana answered with an account id that is not a gid.")
        return gid

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        answer = self.get_json(
            asana_url("/api/1.0/users/me"),
            headers={"Authorization": f"Bearer {access_token}"},
        )
        me = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(me, dict) or not me.get("gid"):
            return None
        if not GID.match(str(me["gid"])):
            raise AuthResponseError(self, "Asana answered with an account id that is not a gid.")
        return {
            "data": me,
            "gid": str(me["gid"]),
            "name": me.get("name", ""),
            "email": me.get("email", ""),
        }

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        data = response.get("data") or {}
        return {
            "email": data.get("email", ""),
            "username": data.get("email", ""),
            "fullname": data.get("name", ""),
            "first_name": None,
            "last_name": None,
        }

    def revoke_token_params(self, token: str, uid: str) -> dict[str, Any]:
        client_id, client_secret = self.get_key_and_secret()
        return {"token": token, "client_id": client_id, "client_secret": client_secret}

    def extra_data(
        self,
        user: Any,
        uid: str,
        response: dict[str, Any],
        details: dict[str, Any],
        pipeline_kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        data = super().extra_data(user, uid, response, details, pipeline_kwargs)
        # A refresh answer carries no person; keep what the connection stored.
        return {key: value for key, value in data.items() if value not in (None, "")}
