"""CSRF, redirects, security headers, cookies, escaping: what a browser gets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import PluginConfig
from tests.support import connect_identity, link_task

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def csrf_client(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/issues/{issue}/status/",
        "/issues/{issue}/plugins/asana/create/",
        "/issues/{issue}/plugins/asana/link/",
        "/issues/{issue}/plugins/asana/unlink/",
        "/projects/{project}/plugins/asana/",
        "/account/identities/disconnect/",
        "/auth/login/asana/",
        "/accounts/logout/",
    ],
)
def test_every_post_needs_the_csrf_token(csrf_client, issue, project, path):
    url = path.format(issue=issue.pk, project=project.pk)
    assert csrf_client.post(url, {"status": "resolved"}).status_code == 403
    assert (
        csrf_client.post(url, {"status": "resolved"}, headers={"HX-Request": "true"}).status_code
        == 403
    )


def test_htmx_posts_pass_with_the_header_from_the_body(csrf_client, issue):
    page = csrf_client.get(issue.get_absolute_url()).content.decode()
    token = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', page).group(1)
    response = csrf_client.post(
        reverse("issue_set_status", args=[issue.pk]),
        {"status": "resolved"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_security_headers(owner_client, issue):
    response = owner_client.get(issue.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_over_https(owner_client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = owner_client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_and_csrf_cookies_are_secure_and_httponly(client, owner):
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "s3cret-pass-123"}, secure=True
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    page = client.get("/accounts/login/", secure=True)
    csrf = page.cookies.get("csrftoken") or client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]


def test_templates_have_no_inline_script_or_style():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert " style=" not in text and "<style" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template  # onclick= and friends


def test_login_next_to_another_host_is_ignored(client, owner):
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "ada", "password": "s3cret-pass-123", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_asana_text_is_escaped_in_the_panel(owner_client, owner, issue, project, sandbox):
    PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": "1200000000000001"}
    )
    connect_identity(owner, sandbox)
    link_task(issue, "1", "<script>alert(1)</script>", url="javascript:alert(1)", created_by=owner)
    content = owner_client.get(
        f"/issues/{issue.pk}/plugins/asana/", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert 'href="javascript:' not in content


def test_password_reset_does_not_reveal_whether_an_email_exists(client, owner):
    known = client.post("/accounts/password/reset/", {"email": owner.email}, follow=True)
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200

    def without_tokens(content: bytes) -> str:
        return re.sub(r'"x-csrftoken": "[^"]+"', "", content.decode())

    assert without_tokens(known.content) == without_tokens(unknown.content)
