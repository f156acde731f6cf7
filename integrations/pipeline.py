"""Steps of social-auth's pipeline that make it an identity *link*, never a sign-up."""

from __future__ import annotations

from typing import Any

from social_core.exceptions import AuthPolicyError

from integrations.identities import revoke_and_forget


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
