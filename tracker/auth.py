from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailOrUsernameBackend(ModelBackend):
    """Django's login form has a `username` field; an email typed there works too."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            user_model = get_user_model()
            match = (
                user_model._default_manager.filter(email__iexact=username.strip())
                .order_by("id")
                .values_list("username", flat=True)
                .first()
            )
            if match:
                username = match
        return super().authenticate(request, username=username, password=password, **kwargs)


def say_logged_out(sender, request, user, **kwargs) -> None:
    """Connected to user_logged_out: the login page that follows confirms it. The message
    outlives the session flush (the cookie storage keeps it)."""
    if request is not None and user is not None:
        messages.info(request, "You are logged out.")
