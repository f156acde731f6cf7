"""SDK posts skip the page middleware: sessions, CSRF, users, messages, htmx, lockouts.

The ingestion endpoints are public, keyed by the DSN, and answer JSON to SDKs; none of the
middleware after this one has anything to do for them, and together it was a fifth of an
ingestion request's CPU. Placed right after SecurityMiddleware (HTTPS redirect, HSTS, nosniff
still apply), it calls the endpoint's view itself when the path resolves to one marked
`sdk_endpoint`; every other request goes down the chain as before.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve


class SdkEndpointMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            if getattr(match.func, "sdk_endpoint", False):
                request.resolver_match = match
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
