"""Log-in: the email-or-username backend, and the account django-axes counts failures against."""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

# AccessAttempt.username is a varchar(255): what is typed is cut to fit, never a DataError.
AXES_USERNAME_MAX = 255


def canonical_username(typed: str | None) -> str:
    """The account a typed log-in name means, so every spelling shares one lockout counter.

    An email is matched case-insensitively and stripped (as the backend below matches it);
    a name that belongs to no account is still normalized the same way, so `MALLORY@x` and
    `mallory@x ` count together whether or not the account exists.
    """
    typed = (typed or "").replace("\x00", "").strip()
    if not typed:
        return ""
    user_model = get_user_model()
    users = user_model._default_manager
    if "@" in typed:
        match = users.filter(email__iexact=typed[:254]).order_by("id").first()
    else:
        match = users.filter(username=typed[:150]).first()
    if match is not None:
        return match.get_username()[:AXES_USERNAME_MAX]
    return typed.lower()[:AXES_USERNAME_MAX]


def axes_username(request, credentials: dict | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the canonical account of a log-in attempt."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    return canonical_username(typed)


class AccountScopedAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler, except that a successful log-in clears only the
    failures recorded against the account that logged in.

    Axes' own reset deletes every attempt matching any lockout parameter, the IP address
    included: one log-in to one's own account erased the failures against everybody else
    tried from the same address, so a lockout never came.
    """

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


class EmailOrUsernameBackend(ModelBackend):
    """Django's login form has a `username` field; an email typed there works too."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            user_model = get_user_model()
            match = (
                user_model._default_manager.filter(email__iexact=username.strip()[:254])
                .order_by("id")
                .values_list("username", flat=True)
                .first()
            )
            if match:
                username = match
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The logged-in person, read on every page: from the cache, which forgets them
        whenever they are saved or deleted (forget_cached_user), and after a few minutes in
        any case. Django then checks the session against the password hash read here, so a
        changed password still ends the other sessions at once."""
        key = cached_user_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, CACHED_USER_SECONDS)
        return user if self.user_can_authenticate(user) else None


# Bounds a change the signals cannot see (a queryset update() of users, a raw SQL edit).
CACHED_USER_SECONDS = 300


def cached_user_key(user_id) -> str:
    return f"auth-user:{user_id}"


def remember_logged_in_user(sender, request, user, **kwargs) -> None:
    """Connected to user_logged_in, after Django's own receiver saved last_login (which made
    the cache forget them): the first page after logging in then reads no user either."""
    cache.set(cached_user_key(user.pk), user, CACHED_USER_SECONDS)


def forget_cached_user(sender, instance, **kwargs) -> None:
    """Connected to post_save and post_delete of the user model."""
    cache.delete(cached_user_key(instance.pk))


def say_logged_out(sender, request, user, **kwargs) -> None:
    """Connected to user_logged_out: the login page that follows confirms it. The message
    outlives the session flush (the cookie storage keeps it)."""
    if request is not None and user is not None:
        messages.info(request, "You are logged out.")
