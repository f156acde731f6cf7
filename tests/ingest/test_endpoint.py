"""The envelope and store endpoints as an SDK observes them: every answer and refusal."""

from __future__ import annotations

import gzip
import json
import zlib

import brotli
import pytest
import zstandard

from ingest.models import PendingEvent
from tests.ingest.helpers import (
    auth_header,
    envelope,
    event,
    event_envelope,
    exception_event,
    post_envelope,
)
from tracker.models import Event, Issue, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(project):
    return project.keys.get()


def test_event_is_stored_and_answered_with_its_id(client, project, key):
    payload = exception_event(value="boom")
    response = post_envelope(client, project, event_envelope(payload), key)
    assert response.status_code == 200
    assert response.json() == {"id": payload["event_id"]}
    stored = Event.objects.get(event_id=payload["event_id"])
    assert stored.issue.project == project
    assert stored.issue.title == "ValueError: boom"
    assert not PendingEvent.objects.exists()


def test_missing_key_is_403(client, project):
    response = post_envelope(client, project, event_envelope(event()))
    assert response.status_code == 403
    assert "missing" in response.json()["detail"]
    assert not Event.objects.exists()


def test_unknown_key_is_403(client, project):
    response = post_envelope(client, project, event_envelope(event()), "f" * 32)
    assert response.status_code == 403
    assert response.json()["detail"] == "unknown sentry_key"


def test_disabled_key_is_403_at_once(client, project, key):
    # The first event puts the key in the cache; disabling it must not wait for the cache.
    assert post_envelope(client, project, event_envelope(event()), key).status_code == 200
    key.is_active = False
    key.save()
    response = post_envelope(client, project, event_envelope(event()), key)
    assert response.status_code == 403
    assert response.json()["detail"] == "this key is disabled"


def test_key_of_another_project_is_403(client, project, organization):
    other = Project.objects.create(
        organization=organization, name="Web", slug="web", short_name="WEB"
    )
    response = post_envelope(client, project, event_envelope(event()), other.keys.get())
    assert response.status_code == 403
    assert response.json()["detail"] == "this key belongs to another project"


def test_key_from_query_parameter(client, project, key):
    response = client.post(
        f"/api/{project.pk}/envelope/?sentry_key={key.public_key}&sentry_version=7",
        data=event_envelope(event(message="from a browser")),
        content_type="text/plain;charset=UTF-8",
    )
    assert response.status_code == 200
    assert Issue.objects.get().title == "from a browser"


def test_key_from_envelope_dsn(client, project, key):
    body = event_envelope(event(message="dsn in header"), dsn=key.dsn())
    response = post_envelope(client, project, body)
    assert response.status_code == 200
    assert Event.objects.count() == 1


def test_malformed_envelope_header_is_400(client, project, key):
    response = post_envelope(client, project, b"not json\n{}\n", key)
    assert response.status_code == 400
    assert response.json()["detail"] == "envelope header is not valid JSON"


def test_item_shorter_than_its_length_is_400(client, project, key):
    body = b'{}\n{"type":"event","length":500}\n{"message":"x"}\n'
    response = post_envelope(client, project, body, key)
    assert response.status_code == 400
    assert response.json()["detail"] == "item is shorter than its length"


def test_event_that_is_not_json_is_400(client, project, key):
    body = envelope(({"type": "event"}, b"{not json"))
    response = post_envelope(client, project, body, key)
    assert response.status_code == 400
    assert response.json()["detail"] == "event is not valid JSON"


def test_event_with_a_bad_event_id_is_400(client, project, key):
    response = post_envelope(client, project, event_envelope(event(event_id="nope")), key)
    assert response.status_code == 400
    assert response.json()["detail"] == "event_id is not a UUID"


def test_event_over_1_mib_is_413(client, project, key):
    payload = event(message="x" * (1024 * 1024))
    response = post_envelope(client, project, event_envelope(payload), key)
    assert response.status_code == 413
    assert not Event.objects.exists()


def test_items_without_length_and_several_items(client, project, key):
    first, second = event(message="one"), event(message="two")
    body = envelope(
        ({"type": "session", "length": None}, {"sid": "abc", "status": "ok"}),
        ({"type": "event", "length": None}, first),
        ({"type": "attachment", "filename": "a.txt"}, b"line\nwith newline"),
        ({"type": "client_report"}, {"discarded_events": []}),
        ({"type": "something_new"}, {"whatever": 1}),
        ({"type": "event"}, second),
    )
    response = post_envelope(client, project, body, key)
    assert response.status_code == 200
    assert set(Event.objects.values_list("message", flat=True)) == {"one", "two"}


def test_envelope_with_only_dropped_items_is_accepted(client, project, key):
    body = envelope(({"type": "session"}, {"sid": "abc"}), header={"sent_at": "2026-01-01"})
    response = post_envelope(client, project, body, key)
    assert response.status_code == 200
    assert not Event.objects.exists()


def test_same_event_id_twice_is_stored_once(client, project, key):
    payload = exception_event()
    for _ in range(2):
        assert post_envelope(client, project, event_envelope(payload), key).status_code == 200
    assert Event.objects.count() == 1
    assert Issue.objects.get().event_count == 1


def test_an_event_id_another_organization_used_does_not_hide_this_projects_event(
    client, project, key, outsider
):
    # Storing is idempotent per issue (an SDK's retry, a worker's retried batch), not across
    # tenants: an id another organization's SDK sent first must not make this event vanish.
    theirs = Project.objects.get(slug="theirs")
    payload = exception_event(value="ours")
    other = dict(payload, exception={"values": [{"type": "KeyError", "value": "theirs"}]})
    their_key = theirs.keys.get()
    assert post_envelope(client, theirs, event_envelope(other), their_key).status_code == 200
    assert post_envelope(client, project, event_envelope(payload), key).status_code == 200
    stored = Event.objects.get(issue__project=project)
    assert stored.event_id == payload["event_id"]
    assert stored.issue.title == "ValueError: ours"
    assert Issue.objects.get(project=theirs).event_count == 1


@pytest.mark.parametrize(
    "encoding, compress",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", lambda data: zstandard.ZstdCompressor().compress(data)),
    ],
)
def test_compressed_bodies(client, project, key, encoding, compress):
    body = compress(event_envelope(event(message=f"sent as {encoding}")))
    response = post_envelope(client, project, body, key, HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 200
    assert Event.objects.get().message == f"sent as {encoding}"


def test_body_that_is_not_what_its_encoding_says_is_400(client, project, key):
    response = post_envelope(client, project, b"plain", key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400


def test_unknown_encoding_is_400(client, project, key):
    response = post_envelope(client, project, b"{}", key, HTTP_CONTENT_ENCODING="lzma")
    assert response.status_code == 400
    assert "lzma" in response.json()["detail"]


def test_rate_limit_answers_429_with_retry_headers(client, project, key):
    key.rate_limit_per_minute = 2
    key.save()
    statuses = [
        post_envelope(client, project, event_envelope(event()), key).status_code for _ in range(3)
    ]
    assert statuses[:2] == [200, 200]
    response = post_envelope(client, project, event_envelope(event()), key)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    retry, categories, scope, _ = response["X-Sentry-Rate-Limits"].split(":")
    assert retry == response["Retry-After"]
    assert "error" in categories.split(";") and scope == "key"
    assert Event.objects.count() == 2


def test_cors_preflight_and_headers(client, project, key):
    preflight = client.options(
        f"/api/{project.pk}/envelope/",
        HTTP_ORIGIN="https://shop.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "x-sentry-auth" in preflight["Access-Control-Allow-Headers"].lower()
    refused = post_envelope(client, project, b"{}", "0" * 32, HTTP_ORIGIN="https://shop.example")
    assert refused["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "X-Sentry-Rate-Limits" in refused["Access-Control-Expose-Headers"]


def test_get_is_refused(client, project):
    assert client.get(f"/api/{project.pk}/envelope/").status_code == 405


def test_store_endpoint_takes_one_event(client, project, key):
    payload = exception_event(type_="KeyError", value="'id'")
    response = client.post(
        f"/api/{project.pk}/store/",
        data=gzip.compress(json.dumps(payload).encode()),
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
        HTTP_X_SENTRY_AUTH=auth_header(key),
    )
    assert response.status_code == 200
    assert response.json() == {"id": payload["event_id"]}
    assert Issue.objects.get().title == "KeyError: 'id'"


def test_store_endpoint_refuses_without_key(client, project):
    response = client.post(f"/api/{project.pk}/store/", data=b"{}", content_type="application/json")
    assert response.status_code == 403


def test_store_endpoint_refuses_an_array(client, project, key):
    response = client.post(
        f"/api/{project.pk}/store/",
        data=b"[1, 2]",
        content_type="application/json",
        HTTP_X_SENTRY_AUTH=auth_header(key),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "event is not a JSON object"
