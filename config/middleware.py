"""Security headers Django 5.2 does not set by itself; caching of htmx fragments; who sees
Django's technical 404."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.views.defaults import page_not_found


def content_security_policy() -> str:
    # Scripts and styles only from this site (the vendored htmx, app.js, app.css): nothing
    # inline. Forms may post here and be redirected to Asana's consent page.
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            f"form-action 'self' {settings.ASANA_BASE_URL}",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Built per response (a string join): it follows ASANA_BASE_URL when that changes.
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class HtmxVaryMiddleware:
    """Say that pages differ by `HX-Request`, and keep htmx's fragments out of caches.

    A view answers htmx with a fragment and a browser with the page, at the same URL. Without
    `Vary: HX-Request` Chromium's cache hands the fragment back for the page when the person
    presses Back (a bare list, no header, no CSS). `no-store` on the fragments means there is
    no such entry to hand back at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        if request.headers.get("HX-Request") == "true" and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


class TechnicalNotFoundForStaffMiddleware:
    """With DJANGO_DEBUG on, Django's technical 404 (every URL pattern) only for staff.

    Everyone else gets Tasklink's own 404 page, as with DEBUG off. Unknown URLs never reach
    a view (Django answers them before process_exception), so they are resolved here first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG and not self._staff(request):
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404) and not self._staff(request):
            return page_not_found(request, exception)
        return None

    @staticmethod
    def _staff(request) -> bool:
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated and user.is_staff)
