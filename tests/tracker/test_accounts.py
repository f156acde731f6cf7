from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tracker.models import Issue, Membership

pytestmark = pytest.mark.django_db


def test_signup_creates_account_personal_organization_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "email": "Lin@Example.com",
            "password1": "correct horse 42",
            "password2": "correct horse 42",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("issue_list")
    user = get_user_model().objects.get(email="lin@example.com")
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert Issue.objects.filter(project__organization=membership.organization).count() == 3
    page = client.get(reverse("issue_list"))
    assert b"Sample app" in page.content


def test_signup_shows_inline_errors_and_keeps_the_email(client):
    response = client.post(
        reverse("signup"), {"email": "lin@example.com", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert b"This password is too short" in response.content
    assert b'value="lin@example.com"' in response.content
    assert not get_user_model().objects.exists()


def test_signup_refuses_mismatched_passwords(client):
    response = client.post(
        reverse("signup"),
        {"email": "lin@example.com", "password1": "correct horse 42", "password2": "other 42!"},
    )
    assert b"The two passwords do not match." in response.content


def test_signup_refuses_an_email_already_used(client, owner):
    response = client.post(
        reverse("signup"),
        {
            "email": owner.email.upper(),
            "password1": "correct horse 42",
            "password2": "correct horse 42",
        },
    )
    assert b"already exists" in response.content


def test_login_with_username_or_email_and_logout_by_post(client, owner):
    response = client.post(reverse("login"), {"username": "ada", "password": "s3cret-pass-123"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    response = client.post(
        reverse("login"), {"username": "ADA@example.com", "password": "s3cret-pass-123"}
    )
    assert response.status_code == 302
    assert client.get(reverse("issue_list")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("issue_list")).status_code == 302


def test_login_with_a_wrong_password_says_so(client, owner):
    response = client.post(reverse("login"), {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_password_reset_mails_a_link_for_known_emails_only(client, owner):
    for email in (owner.email, "nobody@example.com"):
        response = client.post(reverse("password_reset"), {"email": email})
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]


def test_password_change(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "s3cret-pass-123",
            "new_password1": "n3w-passphrase-xyz",
            "new_password2": "n3w-passphrase-xyz",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("n3w-passphrase-xyz")
