"""The exceptions' messages: each one is shown to a person as it is."""

from __future__ import annotations

import pytest

from integrations.exceptions import (
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiTimeout,
    ApiUnauthorized,
    ApiUnavailable,
    IdentityRequired,
)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ApiError),
        (401, ApiUnauthorized),
        (402, ApiError),
        (403, ApiForbidden),
        (404, ApiNotFound),
        (429, ApiRateLimited),
    ],
)
def test_for_status_picks_the_exception_and_keeps_asanas_message(status, kind):
    error = ApiError.for_status(status, "task: Not a recognized ID: 12")

    assert type(error) is kind
    assert error.status == status
    assert str(error).startswith("task: Not a recognized ID: 12")


@pytest.mark.parametrize("status", [500, 503])
def test_for_status_replaces_asanas_words_for_server_errors(status):
    error = ApiError.for_status(status, "Server Error")

    assert type(error) is ApiUnavailable
    assert error.message_for("Asana") == (
        f"Asana is having trouble (HTTP {status}). Try again in a moment."
    )


def test_error_without_message_says_what_happened_in_plain_words():
    assert ApiError.for_status(400).message_for("Asana") == "Asana refused the request (HTTP 400)."
    assert ApiError.for_status(502).message_for("Asana") == (
        "Asana is having trouble (HTTP 502). Try again in a moment."
    )
    assert "could not find" in str(ApiError.for_status(404))


def test_rate_limited_tells_when_to_try_again():
    error = ApiError.for_status(429, "You have made too many requests recently.", retry_after=30)

    assert isinstance(error, ApiRateLimited)
    assert error.retry_after == 30
    assert str(error) == "You have made too many requests recently. Try again in 30 seconds."


def test_identity_required_asks_to_reconnect():
    error = IdentityRequired()

    assert isinstance(error, ApiError)
    assert error.status == 401
    assert error.message_for("Asana") == (
        "Your Asana connection needs to be renewed. Reconnect Asana to continue."
    )


def test_timeout_is_a_kind_of_unavailability():
    error = ApiTimeout()

    assert isinstance(error, ApiUnavailable)
    assert error.status is None
    assert error.message_for("Asana") == "Asana did not answer in time. Try again in a moment."


def test_api_error_takes_status_and_message():
    error = ApiError(400, "name: Missing input")

    assert (error.status, error.message, str(error)) == (400, "name: Missing input", error.message)


def test_without_a_plugin_the_words_name_no_tracker():
    assert str(ApiTimeout()) == "The tracker did not answer in time. Try again in a moment."


def test_the_trackers_own_words_are_never_formatted():
    assert ApiError(400, "name: {tracker} braces").message_for("Asana") == "name: {tracker} braces"


def test_a_client_names_its_tracker_in_the_errors_it_raises():
    from integrations.asana.plugin import plugin

    error = ApiRateLimited(retry_after=2)
    assert plugin.message_from_error(error) == (
        "Asana is receiving too many requests right now. Try again in 2 seconds."
    )
