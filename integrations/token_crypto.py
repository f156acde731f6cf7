"""OAuth tokens are encrypted at rest, transparently for everything that reads them.

`UserSocialAuth.extra_data` holds the access and refresh tokens. They are encrypted with
Fernet just before a row is saved and decrypted when a row is loaded, so social-auth and the
client see plain tokens while a database dump shows none. Several keys may be configured
(TOKEN_ENCRYPTION_KEY, comma-separated): the first encrypts, all decrypt, and
`manage.py rotate_token_key` re-encrypts every row with the first.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("tasklink.crypto")

PREFIX = "fernet:"
SECRET_FIELDS = ("access_token", "refresh_token")


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
            "comma-separated; make one with: python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'"
        ) from exc


def configured_keys() -> tuple[str, ...]:
    keys = tuple(settings.TOKEN_ENCRYPTION_KEYS)
    if keys:
        return keys
    # Without a dedicated key, one derived from SECRET_KEY still keeps dumps free of tokens.
    digest = hashlib.sha256(f"tasklink-tokens:{settings.SECRET_KEY}".encode()).digest()
    return (base64.urlsafe_b64encode(digest).decode(),)


def encrypt(value: str) -> str:
    if not isinstance(value, str) or not value or value.startswith(PREFIX):
        return value
    return PREFIX + _fernet(configured_keys()).encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return value
    try:
        return _fernet(configured_keys()).decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        # A key was removed too early: the token is unusable, the person must reconnect.
        logger.error("A stored OAuth token cannot be decrypted with the configured keys.")
        return ""


def encrypted(extra_data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: encrypt(value) if key in SECRET_FIELDS else value
        for key, value in (extra_data or {}).items()
    }


def decrypted(extra_data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: decrypt(value) if key in SECRET_FIELDS else value
        for key, value in (extra_data or {}).items()
    }


# --- signal receivers, connected in IntegrationsConfig.ready() --------------------------------


def decrypt_on_load(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Read from __dict__: touching a deferred field here would cost a query per row.
    data = instance.__dict__.get("extra_data")
    if isinstance(data, dict):
        instance.extra_data = decrypted(data)


def encrypt_before_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance.extra_data, dict):
        instance._plain_extra_data = instance.extra_data
        instance.extra_data = encrypted(instance.extra_data)


def restore_after_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    plain = getattr(instance, "_plain_extra_data", None)
    if plain is not None:
        instance.extra_data = plain
        del instance._plain_extra_data
