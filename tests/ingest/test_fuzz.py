"""Arbitrary bytes and JSON at the endpoints: an answer, never a 500; every 200 is stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import PendingEvent
from tests.ingest.helpers import auth_header, envelope
from tracker.models import Event

pytestmark = pytest.mark.django_db

REFUSALS = {400, 403, 413, 429}
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["\x00", "\ud800", "2026-01-01T00:00:00Z", "error", "{{ default }}"]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
frames = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "filename": json_values,
            "module": json_values,
            "function": json_values,
            "lineno": json_values,
            "in_app": json_values,
            "vars": json_values,
            "pre_context": json_values,
        },
    ),
    max_size=4,
)
exceptions = st.fixed_dictionaries(
    {},
    optional={
        "type": json_values,
        "value": json_values,
        "stacktrace": st.one_of(json_values, st.fixed_dictionaries({"frames": frames})),
        "mechanism": json_values,
    },
)
EVENT_KEYS = [
    "message",
    "logentry",
    "tags",
    "user",
    "timestamp",
    "level",
    "fingerprint",
    "request",
    "contexts",
    "breadcrumbs",
    "transaction",
    "release",
    "environment",
    "platform",
    "extra",
    "sdk",
]
events = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(EVENT_KEYS, json_values),
        "exception": st.one_of(
            json_values, st.fixed_dictionaries({"values": st.lists(exceptions, max_size=3)})
        ),
    },
)
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _post(project, path: str, body: bytes, encoding: str = ""):
    extra = {"HTTP_CONTENT_ENCODING": encoding} if encoding else {}
    return Client().post(
        f"/api/{project.pk}/{path}/",
        data=body,
        content_type="application/octet-stream",
        HTTP_X_SENTRY_AUTH=auth_header(project.keys.get()),
        **extra,
    )


@fuzz
@given(
    body=st.binary(max_size=400),
    path=st.sampled_from(["envelope", "store"]),
    encoding=st.sampled_from(["", "gzip", "deflate", "br", "zstd", "bogus"]),
)
def test_arbitrary_bytes_never_500(project, body, path, encoding):
    response = _post(project, path, body, encoding)
    assert response.status_code in REFUSALS | {200}


@fuzz
@given(event=events)
def test_arbitrary_events_are_stored_or_refused(project, event):
    response = _post(project, "envelope", envelope(({"type": "event"}, event)))
    assert response.status_code in REFUSALS | {200}
    if response.status_code == 200:
        assert Event.objects.filter(event_id=response.json()["id"]).exists()
        assert not PendingEvent.objects.exists()


@fuzz
@given(value=json_values)
def test_arbitrary_json_at_store_never_500(project, value):
    response = _post(project, "store", json.dumps(value).encode())
    assert response.status_code in REFUSALS | {200}
