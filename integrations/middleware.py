"""Every failure of the OAuth dance becomes a message on the identities page and a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthInputError,
    AuthPolicyError,
    AuthProviderError,
    AuthResponseError,
    AuthSessionError,
    SocialAuthBaseException,
)

from integrations import registry

logger = logging.getLogger("tasklink.oauth")


def tracker_title(exception: SocialAuthBaseException) -> str:
    """The name of the tracker whose OAuth dance failed, from the social-auth backend."""
    backend = getattr(exception, "backend", None)
    plugin = registry.for_auth_provider(getattr(backend, "name", ""))
    return plugin.title if plugin else "the tracker"


def describe_oauth_failure(exception: SocialAuthBaseException) -> tuple[str, int]:
    """A message a person can act on, and the HTTP status the failure deserves."""
    code = getattr(exception, "code", "")
    tracker = tracker_title(exception)
    if isinstance(exception, AuthCanceled) or code == "access_denied":
        return f"You declined access at {tracker}, so nothing was connected.", 200
    if isinstance(exception, AuthSessionError | AuthInputError):
        return (
            f"The answer from {tracker} did not match a connection started here (the state "
            "was missing, wrong or already used). Please start again with Connect.",
            403,
        )
    if isinstance(exception, AuthAssociationError):
        return (
            f"This {tracker} account is already connected to another Tasklink user. Disconnect "
            f"it there first, or connect a different {tracker} account.",
            409,
        )
    if isinstance(exception, AuthPolicyError):
        return f"Log in to Tasklink before connecting {tracker}.", 403
    if isinstance(exception, AuthProviderError) and code == "timeout":
        return f"{tracker} did not answer in time. Please try again in a moment.", 504
    if isinstance(exception, AuthProviderError):
        return f"{tracker} could not be reached or refused the request. Please try again.", 502
    if isinstance(exception, AuthResponseError):
        return (
            f"{tracker} answered with something Tasklink could not understand. Please retry.",
            502,
        )
    return f"Connecting {tracker} failed. Please try again.", 400


def started_from(request: HttpRequest) -> str:
    """The page the person pressed Connect on (social-auth keeps `next` in the session), so
    a declined consent or a refused account lands there; the identities page otherwise."""
    next_url = request.session.get("next", "") if hasattr(request, "session") else ""
    if (
        isinstance(next_url, str)
        and next_url.startswith("/")
        and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return next_url
    return reverse("identities")


class SocialAuthErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SocialAuthBaseException):
            return None
        message, status = describe_oauth_failure(exception)
        logger.warning(
            "%s connection failed: %s code=%s stage=%s user=%s",
            tracker_title(exception),
            type(exception).__name__,
            getattr(exception, "code", ""),
            getattr(exception, "stage", ""),
            getattr(request.user, "pk", None),
        )
        if status == 403:
            # A forged or replayed callback is refused outright, with the page explaining it.
            from integrations.views import render_identities

            return render_identities(request, error=message, status=403)
        messages.error(request, message)
        return HttpResponseRedirect(started_from(request))
