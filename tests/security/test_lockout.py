"""Security round 2: log-in lockouts count per canonical account, a success clears only the
account that logged in, and the reset limit counts per mailbox.

The bypass is replayed end to end: the real login view, django-axes, and a Redis-backed cache
and session store, as production runs them.
"""

from __future__ import annotations

import os
import uuid

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass-123"  # every person of tests.conftest has it
# This worktree's Redis database; the tests delete only the keys they wrote.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def login(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def is_locked(response) -> bool:
    return response.status_code == 429 and b"Too many failed log-ins" in response.content


@pytest.fixture
def redis_cache(settings):
    """Django's cache and sessions on Redis under a prefix of their own, removed afterwards."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs this test against Redis at {TEST_REDIS_URL}")
        pytest.skip(f"needs Redis at {TEST_REDIS_URL}")
    prefix = f"tasklink-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield connection, prefix
    for key in connection.scan_iter(f"{prefix}:*"):
        connection.delete(key)
    connection.close()


@pytest.fixture(autouse=True)
def clean_counters():
    cache.clear()
    yield
    cache.clear()


def test_logging_in_to_ones_own_account_never_clears_failures_against_another(
    client, owner, outsider, redis_cache
):
    """Four guesses at Ada, one log-in as Mallory from the same address, and again: Ada's
    lockout must come at her fifth failure, however often Mallory logs in between."""
    assert login(client, "ada", PASSWORD, ip="10.9.9.9").status_code == 302  # Redis session
    client.post(reverse("logout"))
    for _ in range(4):
        assert login(client, "ada", "guess").status_code == 200
    assert login(client, "mallory", PASSWORD).status_code == 302
    connection, prefix = redis_cache
    assert any(connection.scan_iter(f"{prefix}:*"))  # her session went through Redis
    client.post(reverse("logout"))
    assert AccessAttempt.objects.filter(username="ada").get().failures_since_start == 4

    assert is_locked(login(client, "ada", "guess"))
    # Ada herself, from anywhere, waits out the lockout: the guesses cannot continue.
    assert is_locked(login(client, "ada", PASSWORD, ip="10.7.7.7"))


def test_a_success_clears_the_failures_of_the_account_that_logged_in(client, owner):
    for _ in range(4):
        login(client, "ada", "wrong", ip="10.0.0.2")
    assert login(client, "ADA@example.com ", PASSWORD, ip="10.0.0.2").status_code == 302
    assert not AccessAttempt.objects.filter(username="ada").exists()


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "MALLORY@example.com",
            "mallory@EXAMPLE.com",
            " mallory@example.com",
            "Mallory@Example.Com",
        ],
        ["nobody@example.com", "NOBODY@example.com", " nobody@example.com ", "NoBody@example.com"],
    ],
)
def test_every_spelling_of_an_account_shares_one_counter(client, outsider, spellings):
    for n, typed in enumerate(spellings + spellings[:1]):
        login(client, typed, "wrong", ip=f"10.0.1.{n}")
    canonical = spellings[0].strip().lower()
    account = "mallory" if canonical.startswith("mallory") else canonical
    assert AccessAttempt.objects.filter(username=account).count() == 5
    assert is_locked(login(client, spellings[0].upper(), "wrong", ip="10.0.2.1"))
    if account == "mallory":  # the right password, in any spelling, waits too
        for typed in ("mallory", "MALLORY@example.com", " Mallory@EXAMPLE.com"):
            assert is_locked(login(client, typed, PASSWORD, ip="10.0.2.2"))


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_username_over_255_characters_is_a_form_error(client, path):
    response = client.post(path, {"username": "a" * 300 + "@x.test", "password": "x"})
    assert response.status_code == 200
    assert all(len(a.username) <= 255 for a in AccessAttempt.objects.all())


def test_the_reset_limit_counts_per_mailbox_not_per_spelling(client, owner, settings):
    settings.PASSWORD_RESET_RATE = "2/h"
    spellings = ["Ada@example.com", "ADA@EXAMPLE.COM", " ada@example.com", "ada@EXAMPLE.com"]
    statuses = [
        client.post(reverse("password_reset"), {"email": s}, REMOTE_ADDR=f"10.5.0.{n}").status_code
        for n, s in enumerate(spellings)
    ]
    assert statuses == [302, 302, 429, 429]


@pytest.mark.django_db(transaction=True)
def test_at_most_the_limit_of_reset_mails_reach_one_person(client, owner, settings):
    settings.PASSWORD_RESET_RATE = "2/h"
    for n, typed in enumerate(["Ada@example.com", " ADA@example.com", "ada@EXAMPLE.com"] * 3):
        client.post(reverse("password_reset"), {"email": typed}, REMOTE_ADDR=f"10.6.0.{n}")
    assert len(mail.outbox) == 2
