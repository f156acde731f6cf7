"""Security headers Django 5.2 does not set by itself."""

from __future__ import annotations

from django.conf import settings


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
