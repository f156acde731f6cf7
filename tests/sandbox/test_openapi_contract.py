"""Every response shape Tasklink relies on, validated against Asana's own OpenAPI spec.

The spec lives beside the repository (../shared/asana-openapi/asana_oas.yaml). Without it the
test skips on a laptop but fails in CI, so the contract can never go unchecked silently there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_schema_validator import OAS30Validator

from .helpers import client_for, configure
from .receiver import start_receiver

# Beside the repository; ASANA_OPENAPI_SPEC points elsewhere (a worktree in another folder).
SPEC_PATH = Path(
    os.environ.get("ASANA_OPENAPI_SPEC")
    or Path(__file__).parents[2] / ".." / "shared" / "asana-openapi" / "asana_oas.yaml"
)
ASANA_HOST = "https://app.asana.com"
# A nullable value as a schema of its own (see `read_nulls_as_asana_means_them`).
NULL_SCHEMA = {"type": "object", "nullable": True, "enum": [None]}
COMPLETION = [{"resource_type": "task", "action": "changed", "fields": ["completed"]}]


def _string_keys(node: Any) -> Any:
    # YAML reads `200:` as an int; OpenAPI keys (status codes among them) are strings.
    if isinstance(node, dict):
        return {str(k): _string_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_string_keys(v) for v in node]
    return node


def read_nulls_as_asana_means_them(node: Any) -> Any:
    """Asana's spec writes a nullable reference as `allOf: [X, {nullable: true}]`, which an OAS
    3.0.3 validator reads as "not nullable"; Asana does answer null there (an unassigned task's
    assignee). Rewrite each such schema as "X, or null"."""
    if isinstance(node, list):
        return [read_nulls_as_asana_means_them(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: read_nulls_as_asana_means_them(v) for k, v in node.items()}
    members = node.get("allOf")
    if isinstance(members, list) and any(
        isinstance(m, dict) and m.get("nullable") is True for m in members
    ):
        return {"anyOf": [node, NULL_SCHEMA]}
    return node


# Fields the spec's own words say may be null while its schema does not allow it: an event's
# `parent` ("will be null for other event types"), and a webhook's timestamps (null in the
# example answer of createWebhook: "last_success_at": null).
NULLABLE_BY_THE_SPECS_WORDS = {
    "EventResponse": ["parent"],
    "WebhookResponse": [
        "last_failure_at",
        "last_success_at",
        "next_attempt_after",
        "failure_deletion_timestamp",
    ],
}


def allow_documented_nulls(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    for name, fields in NULLABLE_BY_THE_SPECS_WORDS.items():
        schema = schemas[name]
        parts = [schema, *schema.get("allOf", [])]
        for field in fields:
            owner = next(p["properties"] for p in parts if field in p.get("properties", {}))
            owner[field] = {"anyOf": [owner[field], NULL_SCHEMA]}
    return document


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Asana's OpenAPI spec is missing at {SPEC_PATH.resolve()}")
        pytest.skip(f"Asana's OpenAPI spec is not at {SPEC_PATH.resolve()}")
    started = time.monotonic()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as f:
        document = read_nulls_as_asana_means_them(_string_keys(yaml.load(f, Loader=loader)))
    document = allow_documented_nulls(document)
    # About 0.7 s with libyaml for the 3 MB file; kept once per module.
    assert time.monotonic() - started < 20
    return document


@pytest.fixture(scope="module")
def openapi(spec) -> OpenAPI:
    # The spec itself is Asana's business; validating it would only cost time.
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def validate(openapi: OpenAPI, response: requests.Response) -> requests.Response:
    """Validate the sandbox's answer as if app.asana.com had given it."""
    sent = urlsplit(response.request.url)
    request = MockRequest(
        ASANA_HOST, response.request.method, sent.path, args=dict(parse_qsl(sent.query))
    )
    answer = MockResponse(
        response.content,
        response.status_code,
        dict(response.headers),
        content_type=response.headers["Content-Type"],
    )
    openapi.validate_response(request, answer)
    return response


def test_every_response_tasklink_reads_matches_asanas_spec(openapi, sandbox, seed):
    ada = client_for(sandbox, "ada@acme.test")
    ws = seed["engineering"]
    checked = [
        ada.get("/users/me"),
        ada.get("/workspaces"),
        ada.get("/workspaces", params={"limit": 1}),
        ada.get(f"/workspaces/{ws}"),
        ada.get(f"/workspaces/{ws}/projects", params={"limit": 2}),
        ada.get(f"/workspaces/{ws}/typeahead", params={"resource_type": "task", "query": "fix"}),
        ada.get(f"/workspaces/{ws}/typeahead", params={"type": "user", "query": ""}),
        ada.get(f"/workspaces/{ws}/typeahead", params={"resource_type": "project"}),
    ]
    created = ada.post(
        "/tasks",
        json={"data": {"workspace": ws, "name": "Contract", "notes": "n", "assignee": "me"}},
    )
    gid = created.json()["data"]["gid"]
    unassigned = ada.post("/tasks", json={"data": {"projects": [seed["backend"]]}})
    checked += [
        created,
        unassigned,
        ada.get(f"/tasks/{gid}"),
        ada.get(f"/tasks/{gid}", params={"opt_fields": "name,assignee.name,projects.name"}),
        ada.put(f"/tasks/{gid}", json={"data": {"completed": True}}),
        ada.post(f"/tasks/{gid}/stories", json={"data": {"text": "A comment"}}),
        ada.get(f"/tasks/{gid}/stories"),
        ada.get(f"/tasks/{seed['engineering_task']}/stories", params={"limit": 1}),
        # As the reconciliation reads a changed task's comments.
        ada.get(
            f"/tasks/{gid}/stories",
            params={
                "opt_fields": "text,resource_subtype,created_by.name,target,created_at",
                "limit": 100,
            },
        ),
    ]

    for response in checked:
        assert response.status_code in (200, 201), response.text
        validate(openapi, response)


def test_error_responses_match_asanas_spec(openapi, sandbox, seed):
    ada = client_for(sandbox, "ada@acme.test")
    katherine = client_for(sandbox, "katherine@acme.test")
    checked = [
        requests.get(f"{sandbox.url}/api/1.0/users/me", timeout=5),  # 401
        ada.get("/tasks/123"),  # 404
        ada.get("/tasks/abc"),  # 400
        ada.post("/tasks", json={"data": {"name": "nowhere"}}),  # 400
        ada.get("/workspaces", params={"limit": 0}),  # 400
        katherine.get(f"/tasks/{seed['engineering_task']}"),  # 403
        katherine.get(f"/workspaces/{seed['engineering']}/projects"),  # 403
    ]
    requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"path": "/api/1.0/users/me", "status": 500},
        timeout=5,
    )
    checked.append(ada.get("/users/me"))  # 500, with its phrase

    for response in checked:
        assert response.status_code >= 400
        validate(openapi, response)


def test_a_429_body_is_asanas_error_response(spec, sandbox):
    # The operations do not list 429, so check the body against the shared schema directly.
    configure(sandbox, rate_limit=1)
    ada = client_for(sandbox, "ada@acme.test")
    ada.get("/users/me")

    limited = ada.get("/users/me")

    assert limited.status_code == 429
    schema = {"$ref": "#/components/schemas/ErrorResponse", "components": spec["components"]}
    OAS30Validator(schema).validate(limited.json())


def test_the_validation_catches_a_shape_that_is_not_asanas(openapi, sandbox):
    """The check bites: a gid sent as a number is refused."""
    ada = client_for(sandbox, "ada@acme.test")
    response = ada.get("/users/me")
    response._content = response.content.replace(
        b'"gid": "%s"' % response.json()["data"]["gid"].encode(), b'"gid": 12'
    )

    with pytest.raises(InvalidData):
        validate(openapi, response)


def test_webhook_responses_match_asanas_spec(openapi, sandbox, seed):
    configure(sandbox, allow_local_webhooks=True)
    receiver, server = start_receiver()
    ada = client_for(sandbox, "ada@acme.test")
    try:
        data = {"resource": seed["backend"], "target": receiver.url, "filters": COMPLETION}
        created = ada.post("/webhooks", json={"data": data})
        gid = created.json()["data"]["gid"]
        checked = [
            created,
            ada.post(
                "/webhooks",
                json={"data": {"resource": seed["engineering_task"], "target": receiver.url}},
            ),
            ada.get("/webhooks", params={"workspace": seed["engineering"]}),
            ada.get("/webhooks", params={"workspace": seed["engineering"], "limit": 1}),
            ada.get(f"/webhooks/{gid}"),
            ada.put(f"/webhooks/{gid}", json={"data": {"filters": []}}),
            ada.get(f"/projects/{seed['backend']}/sections"),
            ada.get(
                f"/tasks/{seed['engineering_task']}",
                params={"opt_fields": "memberships.section.name,due_on"},
            ),
            ada.request("DELETE", f"/webhooks/{gid}"),
            ada.post(
                "/webhooks",
                json={"data": {"resource": seed["backend"], "target": "http://127.0.0.1:9/"}},
            ),  # 400: no handshake
            ada.post("/webhooks", json={"data": {"resource": seed["backend"]}}),  # 400
        ]
        configure(sandbox, allow_local_webhooks=False)
        local = {"resource": seed["backend"], "target": receiver.url}
        checked.append(ada.post("/webhooks", json={"data": local}))  # 403
    finally:
        server.shutdown()
        server.server_close()

    for response in checked:
        validate(openapi, response)


def test_delivered_events_match_asanas_event_schema(spec, sandbox, seed):
    configure(sandbox, allow_local_webhooks=True)
    receiver, server = start_receiver()
    ada = client_for(sandbox, "ada@acme.test")
    task = seed["engineering_task"]
    try:
        ada.post("/webhooks", json={"data": {"resource": seed["backend"], "target": receiver.url}})
        ada.put(f"/tasks/{task}", json={"data": {"completed": True, "assignee": None}})
        ada.post(f"/tasks/{task}/stories", json={"data": {"text": "A comment"}})
        ada.post("/tasks", json={"data": {"projects": [seed["backend"]]}})
        events = receiver.wait_for(lambda: len(receiver.events()) >= 5 and receiver.events())
    finally:
        server.shutdown()
        server.server_close()

    schema = {"$ref": "#/components/schemas/EventResponse", "components": spec["components"]}
    for event in events:
        OAS30Validator(schema).validate(event)


def test_the_task_list_the_reconciliation_reads_matches_asanas_spec(openapi, sandbox, seed):
    ada = client_for(sandbox, "ada@acme.test")
    fields = (
        "name,permalink_url,completed,due_on,assignee.name,workspace,"
        "memberships.project.name,memberships.section.name,modified_at"
    )
    project = {"project": seed["backend"]}
    checked = [
        ada.get("/tasks", params=project),
        ada.get("/tasks", params={**project, "opt_fields": fields, "limit": 1}),
        ada.get("/tasks", params={**project, "modified_since": "2020-01-01T00:00:00.000Z"}),
        ada.get("/tasks", params={"assignee": "me", "workspace": seed["engineering"]}),
        ada.get("/tasks"),  # 400: no filter
        ada.get("/tasks", params={**project, "modified_since": "yesterday"}),  # 400
    ]
    for response in checked:
        validate(openapi, response)
