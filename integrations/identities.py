"""A person's connected identities at the trackers: what is stored, its health, disconnecting.

Identities are social-auth's UserSocialAuth rows, keyed by each plugin's `auth_provider`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

logger = logging.getLogger("tasklink.oauth")


def get_identity(user: Any, provider: str) -> UserSocialAuth | None:
    if not user.is_authenticated:
        return None
    return UserSocialAuth.objects.filter(user=user, provider=provider).order_by("-id").first()


def needs_reconnect(identity: UserSocialAuth) -> bool:
    return bool(identity.extra_data.get("needs_reconnect"))


def mark_needs_reconnect(identity: UserSocialAuth) -> None:
    identity.extra_data["needs_reconnect"] = True
    identity.save(update_fields=["extra_data"])


def expires_at(identity: UserSocialAuth) -> float | None:
    data = identity.extra_data
    try:
        return float(data["auth_time"]) + float(data["expires_in"])
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class TokenStatus:
    label: str
    healthy: bool


def token_status(identity: UserSocialAuth, tracker: str) -> TokenStatus:
    """How the stored token stands, in words naming the `tracker`."""
    if needs_reconnect(identity):
        return TokenStatus(
            f"{tracker} refused the stored grant: reconnect to keep using {tracker}.", False
        )
    if not identity.extra_data.get("refresh_token"):
        return TokenStatus("No refresh token stored: reconnect when the token expires.", False)
    deadline = expires_at(identity)
    if deadline is not None and deadline <= time.time():
        return TokenStatus("Access token expired; it is renewed on the next use.", True)
    if deadline is not None:
        minutes = max(int((deadline - time.time()) // 60), 0)
        return TokenStatus(f"Active; access token renews in about {minutes} min.", True)
    return TokenStatus("Active.", True)


def disconnect(request: HttpRequest, identity: UserSocialAuth) -> bool:
    """Revoke the grant at the tracker, then forget the tokens. Returns whether it confirmed."""
    return revoke_and_forget(identity.get_backend_instance(load_strategy(request)), identity)


def revoke_and_forget(backend: Any, identity: UserSocialAuth) -> bool:
    """Revoke the identity's grant at the tracker (best effort), then delete it and its tokens."""
    refresh_token = identity.extra_data.get("refresh_token")
    revoked = False
    if backend is not None and refresh_token:
        try:
            revoked = bool(backend.revoke_token(refresh_token, identity.uid))
        except Exception as exc:  # the tokens are forgotten even if the tracker is down
            logger.warning(
                "Revoking the %s grant of user %s failed: %s",
                identity.provider,
                identity.user_id,
                exc,
            )
    identity.delete()
    return revoked
