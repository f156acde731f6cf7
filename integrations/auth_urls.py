"""The only social-auth routes Tasklink mounts: start connecting, and the tracker's callback.

social-auth's own `disconnect` route is not mounted: it deletes an identity without revoking
its grant. Disconnecting goes through /account/identities/disconnect/, which revokes first.
Both routes run on APP_BASE_URL's host only: the session that holds the OAuth state must be on
the host the tracker sends the person back to (the redirect URI always names APP_BASE_URL).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from social_django import views as social_views

app_name = "social"


def on_another_host(request: HttpRequest) -> bool:
    return request.get_host() != urlsplit(settings.APP_BASE_URL).netloc


def app_url(path_and_query: str) -> str:
    return settings.APP_BASE_URL.rstrip("/") + path_and_query


def begin(request: HttpRequest, backend: str) -> HttpResponse:
    if on_another_host(request):
        # Connect is a POST whose session and CSRF cookie belong to this host: send the
        # person to the same page on APP_BASE_URL's host, where Connect starts the dance.
        next_url = request.POST.get("next", "")
        if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(next_url, None):
            next_url = reverse("identities")
        return redirect(app_url(next_url))
    response: HttpResponse = login_required(social_views.auth)(request, backend=backend)
    return response


def complete(request: HttpRequest, backend: str) -> HttpResponse:
    if on_another_host(request):
        return redirect(app_url(request.get_full_path()))
    response: HttpResponse = login_required(social_views.complete)(request, backend=backend)
    return response


urlpatterns = [
    # Connecting a tracker links an identity to a logged-in person; anonymous people log in first.
    path("login/<str:backend>/", begin, name="begin"),
    path("complete/<str:backend>/", complete, name="complete"),
]
