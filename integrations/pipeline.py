"""Steps of social-auth's pipeline that make it an identity *link*, never a sign-up."""

from __future__ import annotations

from typing import Any

from social_core.exceptions import AuthAssociationError, AuthPolicyError
from social_django.models import UserSocialAuth

from integrations.identities import revoke_and_forget, revoke_grant


def require_logged_in_user(backend: Any, user: Any = None, *args: Any, **kwargs: Any) -> None:
    # Connecting a tracker attaches an identity to a Tasklink account; it never creates one.
    if user is None or not user.is_authenticated:
        raise AuthPolicyError(backend, code="login_required", stage="pipeline")


def clear_reconnect_flag(backend: Any, social: Any = None, *args: Any, **kwargs: Any) -> None:
    # A fresh grant heals an identity the client marked as needing reconnection.
    if social is not None and social.extra_data.pop("needs_reconnect", None):
        social.save(update_fields=["extra_data"])


def forget_other_identities(
    backend: Any, user: Any = None, social: Any = None, *args: Any, **kwargs: Any
) -> None:
    """A person connects one account per tracker at a time: connecting another replaces the
    first, whose grant is revoked at the tracker so no unused token stays alive."""
    if social is None or user is None:
        return
    others = type(social).objects.filter(user=user, provider=social.provider).exclude(pk=social.pk)
    for other in others:
        revoke_and_forget(backend, other)


def refuse_identity_of_another_user(
    backend: Any, uid: Any, user: Any = None, response: Any = None, *args: Any, **kwargs: Any
) -> None:
    """A tracker account already connected to another Tasklink user is refused, and the grant
    the tracker just issued for this attempt is revoked, not left alive."""
    taken = UserSocialAuth.objects.filter(provider=backend.name, uid=str(uid)).exclude(user=user)
    if user is not None and taken.exists():
        fresh = (response or {}).get("refresh_token") or (response or {}).get("access_token")
        revoke_grant(backend, fresh, str(uid), user.pk)
        raise AuthAssociationError(backend, "This account is already in use.")


def remember_previous_grant(
    backend: Any, social: Any = None, *args: Any, **kwargs: Any
) -> dict[str, Any] | None:
    """Before the new tokens overwrite a reconnected identity's, keep its old refresh token."""
    if social is not None:
        return {"previous_refresh_token": social.extra_data.get("refresh_token")}
    return None


def revoke_previous_grant(
    backend: Any,
    social: Any = None,
    previous_refresh_token: str | None = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    """Reconnecting replaced the identity's grant: revoke the one it replaced at the tracker."""
    if social is None or not previous_refresh_token:
        return
    if previous_refresh_token != social.extra_data.get("refresh_token"):
        revoke_grant(backend, previous_refresh_token, social.uid, social.user_id)
