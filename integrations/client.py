"""HTTP clients for trackers' REST APIs: `ApiClient` and `AuthApiClient`.

Sentry's plugins speak to trackers through `ApiClient` and `AuthApiClient`; Tasklink keeps the
pattern and fixes what hurt there:

- one pooled `requests.Session` per process, so calls reuse connections;
- every call has a connect and a read timeout, and every failure becomes an `ApiError`
  carrying a message a person can read (no `requests` exception escapes);
- a GET answered 429/503 is retried once when the wait asked for is short; a POST never is,
  so a slow answer cannot create the same task twice;
- `AuthApiClient` refreshes the OAuth token *before* it expires (not only after a failed
  call), once more on a 401, and under a row lock, so that N requests holding the same expired
  token cause one refresh at the provider, not N racing ones.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from requests.adapters import HTTPAdapter
from social_core.exceptions import (
    AuthConfigurationError,
    AuthCredentialError,
    AuthProviderError,
    AuthResponseError,
    SocialAuthBaseException,
)
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from integrations.exceptions import (
    ApiError,
    ApiRateLimited,
    ApiTimeout,
    ApiUnauthorized,
    ApiUnavailable,
    IdentityRequired,
)
from integrations.identities import expires_at, mark_needs_reconnect, needs_reconnect

logger = logging.getLogger("tasklink.client")

MALFORMED_RESPONSE = "{tracker} answered with a malformed response."
# Connections kept per host: enough for the threads of one gunicorn worker.
POOL_MAXSIZE = 20
# A token this close to its expiry is renewed before the call: the call itself takes time, and
# the clocks of Tasklink and the provider are never quite the same.
REFRESH_MARGIN_SECONDS = 60

_session: requests.Session | None = None
_session_lock = threading.Lock()


def get_session() -> requests.Session:
    """The process's one Session, created on first use (threads share its connection pool)."""
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                _session = _new_session()
    return _session


def _new_session() -> requests.Session:
    session = requests.Session()
    # Few hosts (a tracker, its sandbox); many threads. Retries are ours to decide, not urllib3's.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_MAXSIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # The session is shared by everyone's calls: a cookie set for one person's call must never
    # ride along with another person's.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


def sleep(seconds: float) -> None:
    """Wait before a retry. Module-level so tests can replace it."""
    time.sleep(seconds)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


class ApiClient:
    """JSON over HTTP to one API, with timeouts, pooled connections and mapped errors."""

    base_url: str = ""
    # Who the messages of this client's errors name ("{tracker} did not answer in time.").
    tracker_name: str = "The tracker"
    # Settings <PREFIX>_CONNECT_TIMEOUT, _READ_TIMEOUT and _MAX_RETRY_WAIT, read at call time so
    # tests and deployments can change them; the defaults below apply when one is not set.
    settings_prefix: str = ""
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    max_retry_wait: float = 3.0
    # Only a call that changes nothing may be repeated without the person asking.
    retry_methods = frozenset({"GET", "HEAD"})
    retry_statuses = frozenset({429, 503})

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, data: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, params=params, data=data)

    def put(self, path: str, data: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request("PUT", path, params=params, data=data)

    def delete(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, params=params)

    def request(self, method: str, path: str, **call: Any) -> Any:
        """Send one call (`params`, `data`: see `call`) and return its JSON; every error names
        this client's tracker."""
        try:
            return self.call(method, path, **call)
        except ApiError as error:
            error.tracker = error.tracker or self.tracker_name
            raise

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: Any = None,
    ) -> Any:
        """One call, retried once if the tracker asks for a short wait."""
        method = method.upper()
        response = self._send(method, path, params, data)
        wait = self._retry_wait(method, response)
        if wait is not None:
            sleep(wait)
            response = self._send(method, path, params, data)
        return self._decode(response)

    # --- building and sending -----------------------------------------------------------------

    def get_base_url(self) -> str:
        return self.base_url.rstrip("/")

    def build_url(self, path: str) -> str:
        # Only paths: a full URL here could send the bearer token to another host.
        if "://" in path or path.startswith("//"):
            raise ValueError(f"ApiClient expects a path, not a URL: {path!r}")
        return self.get_base_url() + "/" + path.lstrip("/")

    def request_headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "User-Agent": f"Tasklink/{settings.VERSION} (+{settings.APP_BASE_URL})",
        }

    def setting(self, name: str, default: float) -> float:
        return float(getattr(settings, f"{self.settings_prefix}_{name}", default))

    def timeout(self) -> tuple[float, float]:
        return (
            self.setting("CONNECT_TIMEOUT", self.connect_timeout),
            self.setting("READ_TIMEOUT", self.read_timeout),
        )

    def error_message(self, response: requests.Response) -> str | None:
        """The tracker's own explanation in an error answer, or None.

        Each tracker shapes its error bodies its own way: its client overrides this.
        """
        return None

    def _send(
        self, method: str, path: str, params: dict[str, Any] | None, data: Any
    ) -> requests.Response:
        url = self.build_url(path)
        # The log names the path only: query strings may carry what people typed.
        log_path = urlsplit(url).path
        started = time.monotonic()
        try:
            response = get_session().request(
                method,
                url,
                params=params,
                json=data,
                headers=self.request_headers(),
                timeout=self.timeout(),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = _transport_error(exc)
            logger.warning(
                "%s %s failed: %s %.1fms",
                method,
                log_path,
                type(exc).__name__,
                _ms(started),
            )
            raise error from exc
        logger.info("%s %s %s %.1fms", method, log_path, response.status_code, _ms(started))
        return response

    def _retry_wait(self, method: str, response: requests.Response) -> float | None:
        """Seconds to wait before the one retry, or None when this answer is final."""
        if method not in self.retry_methods or response.status_code not in self.retry_statuses:
            return None
        wait = parse_retry_after(response.headers.get("Retry-After"))
        limit = self.setting("MAX_RETRY_WAIT", self.max_retry_wait)
        if wait is None or wait > limit:
            return None
        return wait

    def _decode(self, response: requests.Response) -> Any:
        status = response.status_code
        if status >= 300:
            raise self._status_error(response)
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(status, template=MALFORMED_RESPONSE) from None

    def _status_error(self, response: requests.Response) -> ApiError:
        status = response.status_code
        if 300 <= status < 400:
            # Trackers' APIs do not redirect; following one could leak the token elsewhere.
            return ApiError(
                status,
                template=f"{{tracker}} answered with an unexpected redirect (HTTP {status}).",
            )
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return ApiError.for_status(status, self.error_message(response), retry_after=retry_after)


class AuthApiClient(ApiClient):
    """An ApiClient acting as one person, through their stored OAuth identity."""

    def __init__(self, auth: UserSocialAuth | None = None) -> None:
        self.auth = auth

    @property
    def access_token(self) -> str | None:
        if self.auth is None:
            return None
        return self.auth.extra_data.get("access_token") or None

    def request_headers(self) -> dict[str, str]:
        headers = super().request_headers()
        headers["Authorization"] = f"Bearer {self.access_token}"
        return headers

    def call(self, method: str, path: str, **call: Any) -> Any:
        """ApiClient.call as the person: a token near its expiry is renewed first, and a token
        the tracker refuses is renewed once and the call sent again."""
        self._ensure_usable_token()
        sent_token = self.access_token
        try:
            return super().call(method, path, **call)
        except IdentityRequired:
            raise
        except ApiUnauthorized:
            # The token looked valid here but the tracker refused it (revoked, expired early, clocks
            # apart). A 401 means nothing was done, so even a POST may be sent again.
            self._refresh(stale_token=sent_token)
        try:
            return super().call(method, path, **call)
        except IdentityRequired:
            raise
        except ApiUnauthorized:
            # The tracker refused a token it has just issued: only a new consent can help.
            self._mark_needs_reconnect()
            raise IdentityRequired() from None

    # --- the token ----------------------------------------------------------------------------

    def _ensure_usable_token(self) -> None:
        if self.auth is None or not self.access_token or needs_reconnect(self.auth):
            # No token, or a grant already known dead: no call could succeed until the
            # person connects again, so the tracker is not even asked.
            raise IdentityRequired()
        if self._near_expiry(self.auth):
            self._refresh(stale_token=self.access_token)

    @staticmethod
    def _near_expiry(identity: UserSocialAuth) -> bool:
        deadline = expires_at(identity)
        # Without a known expiry there is nothing to anticipate; a 401 will tell.
        return deadline is not None and deadline - time.time() <= REFRESH_MARGIN_SECONDS

    def _refresh(self, stale_token: str | None) -> None:
        """Renew the token once, however many requests find it stale at the same moment.

        The row lock makes the others wait for the first; once they hold it they see a token
        other than the one they had and use it without asking the tracker again.
        """
        assert self.auth is not None
        try:
            with transaction.atomic():
                identity = UserSocialAuth.objects.select_for_update().get(pk=self.auth.pk)
                if needs_reconnect(identity):
                    # Another call found the grant dead while this one waited for the lock.
                    self.auth.extra_data = identity.extra_data
                    raise IdentityRequired()
                current = identity.extra_data.get("access_token")
                if current and current != stale_token and not self._near_expiry(identity):
                    logger.info("Token of identity %s already renewed by another call", identity.pk)
                else:
                    identity.refresh_token(load_strategy())
                    logger.info("Token of identity %s renewed", identity.pk)
        except UserSocialAuth.DoesNotExist:
            # Disconnected while this call was on its way.
            raise IdentityRequired() from None
        except SocialAuthBaseException as exc:
            error = _refresh_error(exc)
            if isinstance(error, IdentityRequired):
                logger.warning(
                    "%s refused to renew the token of identity %s", self.tracker_name, self.auth.pk
                )
                # Outside the block above: its rollback must not undo the mark.
                self._mark_needs_reconnect()
            raise error from exc
        except requests.RequestException as exc:
            # social-core wraps transport errors itself; this is only a safety net.
            raise _transport_error(exc) from exc
        # The caller's own object sees the new token too (views hold on to it).
        self.auth.extra_data = identity.extra_data

    def _mark_needs_reconnect(self) -> None:
        assert self.auth is not None
        with transaction.atomic():
            try:
                identity = UserSocialAuth.objects.select_for_update().get(pk=self.auth.pk)
            except UserSocialAuth.DoesNotExist:
                return
            mark_needs_reconnect(identity)
        self.auth.extra_data = identity.extra_data


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _transport_error(exc: requests.RequestException) -> ApiError:
    # ConnectTimeout is both a Timeout and a ConnectionError: Timeout decides.
    if isinstance(exc, requests.Timeout):
        return ApiTimeout()
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return ApiUnavailable()
    return ApiError(None, template="Tasklink could not send the request to {tracker}.")


def _refresh_error(exc: SocialAuthBaseException) -> ApiError:
    """What a failed refresh means for the person, from social-core's classification."""
    if isinstance(exc, AuthCredentialError) or exc.recovery == "reauthenticate":
        # invalid_grant and friends: the grant was revoked or has lapsed.
        return IdentityRequired()
    if exc.code == "timeout":
        return ApiTimeout()
    if exc.code == "rate_limited":
        return ApiRateLimited(429, retry_after=parse_retry_after(exc.retry_after))
    if exc.code in {"connection_failed", "unavailable", "tls_error"}:
        return ApiUnavailable(exc.status_code)
    if isinstance(exc, AuthConfigurationError):
        return ApiError(
            exc.status_code,
            template="Tasklink's {tracker} app is not configured correctly. "
            "Tell your administrator.",
        )
    if isinstance(exc, AuthProviderError) and exc.status_code in {400, 401}:
        # A refused refresh without an OAuth error code: the grant is no good any more.
        return IdentityRequired()
    if isinstance(exc, AuthResponseError):
        return ApiError(exc.status_code, template=MALFORMED_RESPONSE)
    return ApiError(
        exc.status_code, template="{tracker} could not renew your connection. Try again later."
    )
