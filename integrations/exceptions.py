"""What can go wrong when Tasklink talks to a tracker, as exceptions a view can show.

The client raises only these, never a `requests` exception, so a view needs one `except
ApiError` to put a message beside its form. The wording names no tracker: Tasklink's own
sentences carry a `{tracker}` placeholder that the plugin fills (`message_from_error`), as
Sentry's shared_integrations keep provider wording with the provider. A message the tracker
sent itself is shown as it is.
"""

from __future__ import annotations

import math

# Who "{tracker}" is when no client or plugin said (an error raised outside any client).
UNNAMED_TRACKER = "The tracker"


class ApiError(Exception):
    """The remote API refused or failed a call. `status` is the HTTP status, if there was one."""

    default_message = "{tracker} could not complete the request. Try again in a moment."
    # The words for an error with an HTTP status and no message of the tracker's, if different.
    status_template: str | None = None

    def __init__(
        self,
        status: int | None = None,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        template: str | None = None,
    ) -> None:
        self.status = status
        # The tracker's own words (or a plugin's finished sentence): shown as they are.
        self.remote_message = message
        # Tasklink's words, with a {tracker} placeholder.
        if template is None and status is not None and self.status_template:
            template = self.status_template.replace("{status}", str(status))
        self.template = template or self.default_message
        self.retry_after = retry_after
        # Set by the client that raised it, so str() and logs name the tracker.
        self.tracker: str | None = None
        super().__init__(status, message)

    def message_for(self, tracker: str) -> str:
        """The sentence for the person, naming `tracker` where Tasklink speaks of it."""
        return self.remote_message or self.template.format(tracker=tracker)

    @property
    def message(self) -> str:
        return self.message_for(self.tracker or UNNAMED_TRACKER)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"

    @classmethod
    def for_status(
        cls, status: int, message: str | None = None, *, retry_after: float | None = None
    ) -> ApiError:
        """The exception for an HTTP error status, carrying the tracker's message if it gave one."""
        if status == 429:
            return ApiRateLimited(status, message, retry_after=retry_after)
        if status >= 500:
            # A tracker's own words for a server error ("Server Error") tell a person nothing.
            return ApiUnavailable(status, None, retry_after=retry_after)
        kind = STATUS_EXCEPTIONS.get(status, ApiError)
        if kind is ApiError and not message:
            return ApiError(status, template=f"{{tracker}} refused the request (HTTP {status}).")
        return kind(status, message)


class ApiUnauthorized(ApiError):
    default_message = "{tracker} did not accept the stored credentials."


class ApiForbidden(ApiError):
    default_message = "Your {tracker} account is not allowed to do this."


class ApiNotFound(ApiError):
    default_message = (
        "{tracker} could not find it: it may have been deleted, or your account cannot see it."
    )


class ApiRateLimited(ApiError):
    """The tracker asks us to slow down; `retry_after` says for how many seconds, when it said."""

    default_message = "{tracker} is receiving too many requests right now."

    def __init__(
        self,
        status: int | None = 429,
        message: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, message, retry_after=retry_after)

    def message_for(self, tracker: str) -> str:
        text = super().message_for(tracker)
        if self.retry_after is None:
            return text
        # The person needs to know when trying again will work, whatever the tracker's wording.
        return f"{text.rstrip('.')}. Try again in {_seconds(self.retry_after)}."


class ApiUnavailable(ApiError):
    """The tracker could not be reached, or answered with a server error: worth trying later."""

    default_message = "{tracker} cannot be reached right now. Try again in a moment."
    status_template = "{tracker} is having trouble (HTTP {status}). Try again in a moment."


class ApiTimeout(ApiUnavailable):
    default_message = "{tracker} did not answer in time. Try again in a moment."


class IdentityRequired(ApiUnauthorized):
    """The connected identity cannot be used any more: the person must reconnect."""

    default_message = (
        "Your {tracker} connection needs to be renewed. Reconnect {tracker} to continue."
    )

    def __init__(self, status: int | None = 401, message: str | None = None) -> None:
        super().__init__(status, message)


STATUS_EXCEPTIONS: dict[int, type[ApiError]] = {
    401: ApiUnauthorized,
    403: ApiForbidden,
    404: ApiNotFound,
}


# --- Tasklink's own refusals, never a call to the tracker ------------------------------------


class InvalidInput(Exception):
    """What a person typed cannot be used (a name that matches nothing, an id that is not one).

    Its str() is the sentence shown beside the form. Kept apart from ValueError so that a
    programming error is never shown to a person as if it were their mistake.
    """


class CreateInProgress(Exception):
    """Another request holding the same idempotency key is creating the task right now."""


class AlreadyLinked(Exception):
    def __init__(self, external_id: str):
        super().__init__(f"Task {external_id} is already linked to this issue.")
        self.external_id = external_id


def _seconds(value: float) -> str:
    whole = max(math.ceil(value), 1)
    return "1 second" if whole == 1 else f"{whole} seconds"
