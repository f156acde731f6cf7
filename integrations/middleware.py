"""Every failure of the OAuth dance becomes a message on the identities page and a log line."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.shortcuts import redirect
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

logger = logging.getLogger("tasklink.oauth")


def describe_oauth_failure(exception: SocialAuthBaseException) -> tuple[str, int]:
    """A message a person can act on, and the HTTP status the failure deserves."""
    code = getattr(exception, "code", "")
    if isinstance(exception, AuthCanceled) or code == "access_denied":
        return "You declined access at Asana, so nothing was connected.", 200
    if isinstance(exception, AuthSessionError | AuthInputError):
        return (
            "The answer from Asana did not match a connection started here (the state was "
            "missing, wrong or already used). Please start again with Connect.",
            403,
        )
    if isinstance(exception, AuthAssociationError):
        return (
            "This Asana account is already connected to another Tasklink user. Disconnect it "
            "there first, or connect a different Asana account.",
            409,
        )
    if isinstance(exception, AuthPolicyError):
        return "Log in to Tasklink before connecting Asana.", 403
    if isinstance(exception, AuthProviderError) and code == "timeout":
        return "Asana did not answer in time. Please try again in a moment.", 504
    if isinstance(exception, AuthProviderError):
        return "Asana could not be reached or refused the request. Please try again.", 502
    if isinstance(exception, AuthResponseError):
        return "Asana answered with something Tasklink could not understand. Please retry.", 502
    return "Connecting Asana failed. Please try again.", 400


class SocialAuthErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SocialAuthBaseException):
            return None
        message, status = describe_oauth_failure(exception)
        logger.warning(
            "Asana connection failed: %s code=%s stage=%s user=%s",
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
        return redirect("identities")
