"""The only social-auth routes Tasklink mounts: start connecting, and Asana's callback.

social-auth's own `disconnect` route is not mounted: it deletes an identity without revoking
its grant. Disconnecting goes through /account/identities/disconnect/, which revokes first.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path
from social_django import views as social_views

app_name = "social"


def on_app_host(view):
    """Send a visit on another allowed host to APP_BASE_URL's host before the OAuth dance: the
    session holding the state must be on the host Asana sends the person back to."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.get_host() == urlsplit(settings.APP_BASE_URL).netloc:
            return view(request, *args, **kwargs)
        # A POST's CSRF cookie belongs to the other host; its `next` travels in the query.
        query = request.GET.copy()
        if request.POST.get("next"):
            query["next"] = request.POST["next"]
        target = settings.APP_BASE_URL.rstrip("/") + request.path
        return redirect(f"{target}?{urlencode(query)}" if query else target)

    return wrapper


urlpatterns = [
    # Connecting Asana links an identity to a logged-in person; anonymous people log in first.
    path("login/<str:backend>/", on_app_host(login_required(social_views.auth)), name="begin"),
    path(
        "complete/<str:backend>/",
        on_app_host(login_required(social_views.complete)),
        name="complete",
    ),
]
