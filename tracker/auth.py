from __future__ import annotations

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
