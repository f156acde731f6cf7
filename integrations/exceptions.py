"""What can go wrong when Tasklink talks to a tracker's API, as exceptions a view can show.

Every exception's str() is a sentence for the person who clicked: Asana's own error messages
when it sent some, a plain explanation otherwise. The client raises only these, never a
`requests` exception, so a view needs one `except ApiError` to put a message beside its form.
"""

from __future__ import annotations

import math


class ApiError(Exception):
    """The remote API refused or failed a call. `status` is the HTTP status, if there was one."""

    default_message = "Asana could not complete the request. Try again in a moment."

    def __init__(
        self,
        status: int | None = None,
        message: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.message = message or self.default_message
        self.retry_after = retry_after
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"

    @classmethod
    def for_status(
        cls, status: int, message: str | None = None, *, retry_after: float | None = None
    ) -> ApiError:
        """The exception for an HTTP error status, carrying Asana's message when it gave one."""
        if status == 429:
            return ApiRateLimited(status, message, retry_after=retry_after)
        if status >= 500:
            # Asana's own words for a server error ("Server Error") tell a person nothing.
            return ApiUnavailable(status, None, retry_after=retry_after)
        kind = STATUS_EXCEPTIONS.get(status, ApiError)
        if kind is ApiError and not message:
            message = f"Asana refused the request (HTTP {status})."
        return kind(status, message)


class ApiUnauthorized(ApiError):
    default_message = "Asana did not accept the stored credentials."


class ApiForbidden(ApiError):
    default_message = "Your Asana account is not allowed to do this."


class ApiNotFound(ApiError):
    default_message = (
        "Asana could not find it: it may have been deleted, or your account cannot see it."
    )


class ApiRateLimited(ApiError):
    """Asana asks us to slow down; `retry_after` says for how many seconds, when it said."""

    default_message = "Asana is receiving too many requests right now."

    def __init__(
        self,
        status: int | None = 429,
        message: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        text = message or self.default_message
        if retry_after is not None:
            # The person needs to know when trying again will work, whatever Asana's wording.
            text = f"{text.rstrip('.')}. Try again in {_seconds(retry_after)}."
        super().__init__(status, text, retry_after=retry_after)


class ApiUnavailable(ApiError):
    """Asana could not be reached, or answered with a server error: worth trying later."""

    default_message = "Asana cannot be reached right now. Try again in a moment."

    def __init__(
        self,
        status: int | None = None,
        message: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        if not message and status is not None:
            message = f"Asana is having trouble (HTTP {status}). Try again in a moment."
        super().__init__(status, message, retry_after=retry_after)


class ApiTimeout(ApiUnavailable):
    default_message = "Asana did not answer in time. Try again in a moment."


class IdentityRequired(ApiUnauthorized):
    """The connected identity cannot be used any more: the person must reconnect Asana."""

    default_message = "Your Asana connection needs to be renewed. Reconnect Asana to continue."

    def __init__(self, status: int | None = 401, message: str | None = None) -> None:
        super().__init__(status, message)


STATUS_EXCEPTIONS: dict[int, type[ApiError]] = {
    401: ApiUnauthorized,
    403: ApiForbidden,
    404: ApiNotFound,
}


def _seconds(value: float) -> str:
    whole = max(math.ceil(value), 1)
    return "1 second" if whole == 1 else f"{whole} seconds"
