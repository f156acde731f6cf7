"""A person's connected identities at the trackers: what is stored, its health, disconnecting.

Identities are social-auth's UserSocialAuth rows, keyed by each plugin's `auth_provider`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models.signals import pre_delete
from django.dispatch import receiver
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


def revoke_grant(backend: Any, token: str | None, uid: str, user_id: Any = None) -> bool:
    """Revoke a grant at the tracker (best effort): whether the tracker confirmed it."""
    if backend is None or not token:
        return False
    try:
        return bool(backend.revoke_token(token, uid))
    except Exception as exc:  # forgetting the tokens must happen even if the tracker is down
        logger.warning("Revoking a grant of user %s failed: %s", user_id, exc)
        return False


def revoke_and_forget(backend: Any, identity: UserSocialAuth) -> bool:
    """Revoke the identity's grant at the tracker (best effort), then delete it and its tokens."""
    refresh_token = identity.extra_data.get("refresh_token")
    revoked = revoke_grant(backend, refresh_token, identity.uid, identity.user_id)
    identity._grant_revoked = True  # type: ignore[attr-defined]  # read by the guard below
    identity.delete()
    return revoked


@receiver(pre_delete, sender=UserSocialAuth, dispatch_uid="tasklink_revoke_on_delete")
def revoke_before_delete(sender: Any, instance: UserSocialAuth, **kwargs: Any) -> None:
    """Every way an identity disappears (the admin, a deleted user, a queryset delete) revokes
    its grant at the tracker first, so no token Tasklink forgot stays usable."""
    if getattr(instance, "_grant_revoked", False):
        return
    try:
        backend = instance.get_backend_instance(load_strategy())
    except Exception:  # a provider this Tasklink no longer runs: nothing to revoke with
        backend = None
    revoke_grant(backend, instance.extra_data.get("refresh_token"), instance.uid, instance.user_id)


# --- social-auth pipeline steps: tell the person what connecting did -------------------------


def account_label(extra_data: dict[str, Any], uid: str) -> str:
    name, email = extra_data.get("name") or "", extra_data.get("email") or ""
    if name and email:
        return f"{name} ({email})"
    return name or email or uid


def remember_connected_account(
    backend: Any, user: Any = None, *args: Any, **kwargs: Any
) -> dict[str, Any] | None:
    """Before the new account is attached: which account of this tracker the person had."""
    previous = get_identity(user, backend.name) if user is not None else None
    if previous is None:
        return None
    return {"previous_account": (previous.uid, account_label(previous.extra_data, previous.uid))}


def confirm_connection(
    backend: Any,
    strategy: Any,
    social: Any = None,
    previous_account: tuple[str, str] | None = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    """The last step: a confirmation on the page the person started from, saying so when a
    Reconnect switched to another account than before."""
    if social is None:
        return
    from integrations import registry  # registry -> base -> this module: imported late

    plugin = registry.for_auth_provider(backend.name)
    tracker = plugin.title if plugin else backend.name
    now = account_label(social.extra_data, social.uid)
    if previous_account is None:
        text = f"Connected {tracker} as {now}."
    elif previous_account[0] == str(social.uid):
        text = f"Reconnected {tracker} as {now}."
    else:
        text = (
            f"Connected {tracker} as {now}, in place of {previous_account[1]}: Tasklink now "
            f"acts in {tracker} as {now}."
        )
    messages.success(strategy.request, text)
