"""Log-in, sign-up and password reset are throttled per IP address and per account."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_counters():
    cache.clear()
    yield
    cache.clear()


def login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_an_account_is_locked_after_five_failures_even_from_other_addresses(client, owner):
    for n in range(4):
        assert login(client, "ada", "wrong", ip=f"10.0.0.{n}").status_code == 200
    assert login(client, "ada", "wrong", ip="10.0.0.5").status_code == 429
    locked = login(client, "ada", "s3cret-pass-123", ip="10.9.9.9")
    assert locked.status_code == 429
    assert b"Too many failed log-ins" in locked.content


def test_an_address_is_locked_after_five_failures_across_accounts(client, owner, member):
    for n in range(5):
        login(client, f"someone{n}", "wrong", ip="10.1.1.1")
    assert login(client, "grace", "s3cret-pass-123", ip="10.1.1.1").status_code == 429
    assert login(client, "grace", "s3cret-pass-123", ip="10.2.2.2").status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, owner):
    for _ in range(4):
        login(client, "ada", "wrong")
    assert login(client, "ada", "s3cret-pass-123").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        login(client, "ada", "wrong")
    assert login(client, "ada", "s3cret-pass-123").status_code == 302


def test_signups_are_throttled_per_address(client, settings):
    settings.SIGNUP_RATE = "2/h"
    for n in range(2):
        response = client.post(
            reverse("signup"),
            {
                "email": f"p{n}@example.com",
                "password1": "correct horse 42",
                "password2": "correct horse 42",
            },
            REMOTE_ADDR="10.3.3.3",
        )
        assert response.status_code == 302
        client.post(reverse("logout"))
    third = client.post(
        reverse("signup"),
        {
            "email": "p3@example.com",
            "password1": "correct horse 42",
            "password2": "correct horse 42",
        },
        REMOTE_ADDR="10.3.3.3",
    )
    assert third.status_code == 429
    assert b"Too many attempts" in third.content and b"p3@example.com" in third.content


def test_password_resets_are_throttled(client, owner, settings):
    settings.PASSWORD_RESET_RATE = "2/h"
    for _ in range(2):
        assert client.post(reverse("password_reset"), {"email": owner.email}).status_code == 302
    assert client.post(reverse("password_reset"), {"email": owner.email}).status_code == 429
