"""/api/1.0/webhooks: establish (with the X-Hook-Secret handshake), list, read, update, delete.

Reference: https://developers.asana.com/reference/webhooks (createWebhook, getWebhooks,
getWebhook, updateWebhook, deleteWebhook). A webhook belongs to the app (client_id) and the
user whose token made it; other apps and users do not see it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from . import webhooks
from .api import Call, endpoint, paginated, read_data, read_one, visible_task, visible_workspace
from .state import SandboxState, Webhook
from .web import Refusal, Response

FILTER_KEYS = {"resource_type", "resource_subtype", "action", "fields"}
ACTIONS = {"changed", "added", "removed", "deleted", "undeleted"}
HANDSHAKE_FAILED = "Could not complete the webhook handshake: {}."


@contextmanager
def unlocked(state: SandboxState) -> Iterator[None]:
    """Let other requests run while this one waits on the target. The router takes the lock
    once per request (server.py), so one release frees it."""
    state.lock.release()
    try:
        yield
    finally:
        state.lock.acquire()


def client_of(call: Call) -> str:
    grant = call.state.grants.get(call.access.refresh_token)
    return grant.client_id if grant else call.state.config.client_id


def _resource(call: Call, gid: Any) -> Any:
    """The project or task to watch (both are what Tasklink needs; Asana takes more kinds)."""
    if not isinstance(gid, str) or not gid:
        raise Refusal(400, "resource: Missing input")
    project = call.state.projects.get(gid)
    if project is not None:
        visible_workspace(call, project.workspace, in_body=True)
        return project
    if gid in call.state.tasks:
        return visible_task(call, gid)
    if gid in call.state.workspaces:
        raise Refusal(400, "resource: The Asana sandbox takes webhooks on projects and tasks only")
    raise Refusal(400, f"resource: Unknown object: {gid}")


def _filters(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Refusal(400, "filters: Not an array")
    out = []
    for i, rule in enumerate(value):
        if not isinstance(rule, dict):
            raise Refusal(400, f"filters: [{i}]: Not an object")
        unknown = set(rule) - FILTER_KEYS
        if unknown:
            raise Refusal(400, f"filters: [{i}]: Unknown field: {sorted(unknown)[0]}")
        for key in ("resource_type", "resource_subtype", "action"):
            if key in rule and not isinstance(rule[key], str):
                raise Refusal(400, f"filters: [{i}]: {key}: Not a string")
        if rule.get("action") and rule["action"] not in ACTIONS:
            raise Refusal(400, f"filters: [{i}]: action: Not a valid action: {rule['action']}")
        fields = rule.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise Refusal(400, f"filters: [{i}]: fields: Not an array of strings")
            if rule.get("action") != "changed":
                raise Refusal(400, f"filters: [{i}]: fields: Only valid with action changed")
        out.append(dict(rule))
    return out


def _target(call: Call, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Refusal(400, "target: Missing input")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refusal(400, f"target: Not a valid URL: {value}")
    if not call.state.config.allow_local_webhooks and webhooks.is_local(value, resolve=False):
        raise local_target(value)
    return value


def local_target(target: str) -> Refusal:
    # The spec: "Invalid hostnames like localhost will receive a 403 Forbidden".
    return Refusal(403, f"target: Invalid hostname: {urlsplit(target).hostname}")


def _check_limits(call: Call, resource: str) -> None:
    config, client = call.state.config, client_of(call)
    alive = list(call.state.webhooks.values())
    if sum(1 for w in alive if w.resource == resource) >= config.webhooks_per_resource:
        raise Refusal(
            403,
            f"Too many webhooks on resource {resource} (the limit is "
            f"{config.webhooks_per_resource}).",
        )
    mine = sum(1 for w in alive if w.user == call.user.gid and w.client_id == client)
    if mine >= config.webhooks_per_user:
        raise Refusal(
            403,
            f"Too many webhooks for this user and app (the limit is {config.webhooks_per_user}).",
        )


def _own_webhook(call: Call, gid: str) -> Webhook:
    webhook = call.state.webhooks.get(gid)
    if webhook is None or webhook.user != call.user.gid or webhook.client_id != client_of(call):
        raise Refusal(404, f"webhook: Unknown object: {gid}")
    return webhook


@endpoint("POST", "/webhooks", "webhooks:write")
def create_webhook(call: Call) -> Response:
    data = read_data(call.req)
    resource = _resource(call, data.get("resource"))
    target = _target(call, data.get("target"))
    filters = _filters(data.get("filters"))
    _check_limits(call, resource.gid)
    secret = secrets.token_hex(32)
    config = call.state.config
    with unlocked(call.state):
        # DNS and the target may take a while: other requests go on meanwhile.
        if not config.allow_local_webhooks and webhooks.is_local(target):
            raise local_target(target)
        # While this request is open, as Asana does: the target must echo the secret.
        refused = webhooks.handshake(target, secret, config.webhook_timeout)
    if refused:
        raise Refusal(400, HANDSHAKE_FAILED.format(refused))
    _check_limits(call, resource.gid)  # others may have made some meanwhile
    state = call.state
    webhook = state.add(
        Webhook(
            gid=state.new_gid(),
            user=call.user.gid,
            client_id=client_of(call),
            resource=resource.gid,
            workspace=resource.workspace,
            target=target,
            secret=secret,
            created_at=state.now(),
            filters=filters,
        )
    )
    webhooks.heartbeat(state, webhook)  # the first delivery: an empty one
    payload = {"data": call.show(webhook, single=True), "X-Hook-Secret": secret}
    return call.answer(201, payload, [("X-Hook-Secret", secret)])


@endpoint("GET", "/webhooks", "webhooks:read")
def get_webhooks(call: Call) -> Response:
    workspace_gid = call.req.param("workspace")
    if not workspace_gid:
        raise Refusal(400, "workspace: Missing input")
    workspace = visible_workspace(call, workspace_gid)
    resource = call.req.param("resource")
    client = client_of(call)
    found = [
        w
        for w in call.state.webhooks.values()
        if w.workspace == workspace.gid
        and w.user == call.user.gid
        and w.client_id == client
        and (not resource or w.resource == resource)
    ]
    return paginated(call, found, "/webhooks")


read_one("/webhooks/{webhook_gid}", "webhooks:read", _own_webhook)


@endpoint("PUT", "/webhooks/{webhook_gid}", "webhooks:write")
def update_webhook(call: Call, webhook_gid: str) -> Response:
    webhook = _own_webhook(call, webhook_gid)
    data = read_data(call.req)
    for key in data:
        if key != "filters":
            raise Refusal(400, f"{key}: Cannot write this property")
    if "filters" in data:
        webhook.filters = _filters(data["filters"])
    return call.answer_one(webhook)


@endpoint("DELETE", "/webhooks/{webhook_gid}", "webhooks:delete")
def delete_webhook(call: Call, webhook_gid: str) -> Response:
    webhooks.forget(call.state, _own_webhook(call, webhook_gid).gid)
    return call.answer(200, {"data": {}})
