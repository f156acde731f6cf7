from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tracker.models import Issue, Membership

pytestmark = pytest.mark.django_db
LOGIN = {"password": "correct horse 42"}


SIGNUP = {"password1": "correct horse 42", "password2": "correct horse 42"}


def confirmation_link(message) -> str:
    return re.search(r"http://testserver(/accounts/signup/confirm/\S+)", message.body).group(1)


# Mails leave after the request's transaction commits, as in production.
@pytest.mark.django_db(transaction=True)
def test_signup_mails_a_link_that_creates_the_account_and_logs_in(client):
    response = client.post(reverse("signup"), {"email": "Lin@Example.com", **SIGNUP})
    assert response.status_code == 302 and response["Location"] == reverse("signup_sent")
    assert b"Check your email" in client.get(response["Location"]).content
    assert (
        client.post(reverse("login"), {"username": "lin@example.com", **LOGIN}).status_code == 200
    )
    [message] = mail.outbox
    assert message.to == ["lin@example.com"]

    link = confirmation_link(message)
    assert b"Create my account" in client.get(link).content  # a GET creates nothing
    assert not Membership.objects.exists()
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == reverse("issue_list")
    user = get_user_model().objects.get(email="lin@example.com")
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert Issue.objects.filter(project__organization=membership.organization).count() == 3
    assert b"Sample app" in client.get(reverse("issue_list")).content
    client.post(reverse("logout"))
    assert b"does not work" in client.post(link).content  # used once


@pytest.mark.django_db(transaction=True)
def test_signup_with_a_taken_email_answers_as_for_a_new_one_and_mails_the_owner(client, owner):
    new = client.post(reverse("signup"), {"email": "new@example.com", **SIGNUP})
    taken = client.post(reverse("signup"), {"email": f"  {owner.email.upper()} ", **SIGNUP})
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert taken.cookies.keys() == new.cookies.keys()
    to_owner = [m for m in mail.outbox if m.to == [owner.email]]
    assert len(to_owner) == 1 and "already has an account" in to_owner[0].body
    assert "/signup/confirm/" not in to_owner[0].body
    owner.refresh_from_db()
    assert owner.check_password("s3cret-pass-123") and owner.is_active


@pytest.mark.django_db(transaction=True)
def test_signing_up_again_never_reactivates_a_deactivated_account(client, owner):
    owner.is_active = False
    owner.last_login = timezone.now()
    owner.save()
    client.post(reverse("signup"), {"email": owner.email, **SIGNUP})
    [message] = mail.outbox
    assert "/signup/confirm/" not in message.body
    owner.refresh_from_db()
    assert not owner.is_active and owner.check_password("s3cret-pass-123")


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


@pytest.mark.django_db(transaction=True)
def test_password_reset_mails_a_link_for_known_emails_only(client, owner):
    for email in (owner.email, "nobody@example.com"):
        response = client.post(reverse("password_reset"), {"email": email}, HTTP_HOST="localhost")
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]
    # The link is under APP_BASE_URL whatever Host the request named.
    assert "http://testserver/accounts/password/reset/" in mail.outbox[0].body


def test_password_reset_mail_is_sent_after_the_request_not_inside_it(
    client, owner, django_capture_on_commit_callbacks
):
    # Sending inside the request made resets of existing accounts measurably slower.
    with django_capture_on_commit_callbacks() as callbacks:
        for email in (owner.email, "nobody@example.com"):
            client.post(reverse("password_reset"), {"email": email})
        assert mail.outbox == []
    assert len(callbacks) == 2  # one queued task per request, whether or not an account exists
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[owner.email]]


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
