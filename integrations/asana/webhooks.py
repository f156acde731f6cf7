"""Asana webhooks: the receiver at /hooks/asana/<id>/ and the registration of webhooks.

Reference: https://developers.asana.com/docs/webhooks-guide
One webhook per Asana project that holds linked tasks (per task for tasks in no project),
shared by every issue, removed when no linked task needs it, recreated when Asana deleted it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from social_django.models import UserSocialAuth

from integrations.asana import sync
from integrations.asana.client import AsanaClient, gid
from integrations.exceptions import ApiError, ApiNotFound
from integrations.models import ExternalIssue, Webhook, WebhookDelivery

logger = logging.getLogger("tasklink.asana.webhooks")

PROVIDER = sync.PROVIDER
# Asana's whitelist: only what the task card, the status and the activity need.
FILTERS = [
    {
        "resource_type": "task",
        "action": "changed",
        "fields": ["completed", "name", "assignee", "due_on"],
    },
    {"resource_type": "task", "action": "added"},
    {"resource_type": "task", "action": "removed"},
    {"resource_type": "story", "resource_subtype": "comment_added", "action": "added"},
]
FILTERED = {"filters": FILTERS}
# After Asana refused to create a webhook: wait this long, doubling per refusal in a row.
RETRY_BASE = timedelta(minutes=10)
RETRY_CAP = timedelta(days=1)
LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".lan", ".home.arpa")


# --- can Asana reach us? ------------------------------------------------------------------------


def is_local_host(host: str | None) -> bool:
    """A host other machines on the internet cannot reach: loopback, private, link-local."""
    host = (host or "").strip("[]").lower()
    if not host or host == "localhost" or host.endswith(LOCAL_NAMES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: taken as public (no DNS lookup at start-up)
    return not address.is_global


def webhooks_reachable() -> bool:
    """Asana can deliver to APP_BASE_URL when it is public; a sandbox on this machine or
    network (ASANA_BASE_URL local, run with --allow-local-webhooks) reaches a local one too.
    Otherwise Tasklink syncs through the reconciliation alone."""
    if not is_local_host(urlparse(settings.APP_BASE_URL).hostname):
        return True
    return is_local_host(urlparse(settings.ASANA_BASE_URL).hostname)


# --- the receiver -------------------------------------------------------------------------------


def signature_ok(secret: str, body: bytes, signature: str) -> bool:
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


@csrf_exempt
@require_POST
def receive(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """Answer the handshake, or store a signed delivery and queue it: accepted means stored."""
    webhook = Webhook.objects.filter(pk=webhook_id, provider=PROVIDER).first()
    if webhook is None:
        return HttpResponse(status=404)
    handshake = request.headers.get("X-Hook-Secret", "")
    if handshake:
        # Only while this Tasklink is creating the webhook: a later handshake cannot change
        # the secret deliveries are checked with.
        if webhook.remote_id or webhook.secret or len(handshake) > 128:
            return HttpResponse(status=403)
        Webhook.objects.filter(pk=webhook.pk, secret="").update(secret=handshake)
        response = HttpResponse(status=200)
        response["X-Hook-Secret"] = handshake
        return response
    body = request.body
    if not signature_ok(webhook.secret, body, request.headers.get("X-Hook-Signature", "")):
        return HttpResponse("Bad or missing X-Hook-Signature.", status=401)
    try:
        events = json.loads(body).get("events")
    except (ValueError, AttributeError):
        return HttpResponse("The body is not Asana's JSON.", status=400)
    now = timezone.now()
    if not events:
        Webhook.objects.filter(pk=webhook.pk).update(last_delivery=now)
        return HttpResponse(status=200)  # a heartbeat: nothing to store
    with transaction.atomic():  # one commit: the delivery is stored once this returns
        Webhook.objects.filter(pk=webhook.pk).update(last_delivery=now)
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, body=body.decode("utf-8", "replace"), received_at=now
        )
        transaction.on_commit(lambda: sync.queue_delivery(delivery.pk))
    return HttpResponse(status=200)


# --- registration -------------------------------------------------------------------------------


def target_url(webhook: Webhook) -> str:
    path = reverse("asana_webhook", args=[webhook.pk])
    return settings.APP_BASE_URL.rstrip("/") + path


def register(
    resource: str, resource_type: str, workspace: str, identity: UserSocialAuth
) -> Webhook | None:
    """The webhook on `resource`, created at Asana unless it exists. None when Asana refused
    (no webhooks:write scope, a limit reached, unreachable) or an earlier refusal is still
    being waited out: the reconciliation covers the gap."""
    webhook, _ = Webhook.objects.get_or_create(
        provider=PROVIDER,
        resource=resource,
        defaults={"resource_type": resource_type, "workspace": workspace, "identity": identity},
    )
    if webhook.remote_id:
        return webhook
    if webhook.retry_after is not None and webhook.retry_after > timezone.now():
        return None  # backing off: linking more tasks does not ask Asana again
    Webhook.objects.filter(pk=webhook.pk).update(secret="", identity=identity)
    try:
        # Reference: https://developers.asana.com/reference/createwebhook
        answer = AsanaClient(auth=identity).post(
            "/webhooks",
            data={
                "data": {
                    "resource": gid(resource),
                    "target": target_url(webhook),
                    "filters": FILTERS,
                }
            },
        )
    except ApiError as exc:
        logger.warning("Asana refused a webhook on %s %s: %s", resource_type, resource, exc)
        record_refusal(webhook, exc)
        return None
    data = answer.get("data") or {}
    secret = answer.get("X-Hook-Secret") or Webhook.objects.get(pk=webhook.pk).secret
    Webhook.objects.filter(pk=webhook.pk).update(
        remote_id=str(data.get("gid", "")),
        secret=secret,
        failures=0,
        last_error="",
        retry_after=None,
    )
    webhook.refresh_from_db()
    return webhook


def retry_wait(failures: int) -> timedelta:
    """How long to wait after `failures` refusals in a row: doubling from RETRY_BASE, capped."""
    wait: timedelta = RETRY_BASE * 2 ** max(failures - 1, 0)
    return min(wait, RETRY_CAP)


def record_refusal(webhook: Webhook, error: ApiError) -> None:
    failures = webhook.failures + 1
    Webhook.objects.filter(pk=webhook.pk).update(
        secret="",
        failures=failures,
        last_error=str(error)[:500],
        retry_after=timezone.now() + retry_wait(failures),
    )


def refusals_for_project(project_id: int) -> list[Webhook]:
    """The refused webhooks that the linked tasks of a Tasklink project need (on their Asana
    projects, or on themselves): what the project's settings page tells its owners."""
    resources: set[str] = set()
    rows = ExternalIssue.objects.filter(provider=PROVIDER, issue__project=project_id)
    for task_gid, details in rows.values_list("external_id", "details"):
        resources.add(task_gid)
        resources.update(p["gid"] for p in (details or {}).get("projects") or [])
    return list(
        Webhook.objects.filter(
            provider=PROVIDER, remote_id="", failures__gt=0, resource__in=resources
        ).order_by("resource")
    )


def unregister(webhook: Webhook) -> None:
    """Delete the webhook at Asana (best effort: one it already deleted is gone anyway)."""
    if webhook.remote_id and webhook.identity is not None:
        try:
            # Reference: https://developers.asana.com/reference/deletewebhook
            AsanaClient(auth=webhook.identity).delete(f"/webhooks/{gid(webhook.remote_id)}")
        except ApiError as exc:
            logger.info("Deleting webhook %s at Asana: %s", webhook.remote_id, exc)
    webhook.delete()


def alive(webhook: Webhook) -> bool:
    """Whether Asana still has the webhook, active (it deletes one that failed for a day)."""
    if not webhook.remote_id or webhook.identity is None:
        return False
    try:
        # Reference: https://developers.asana.com/reference/getwebhook
        answer = AsanaClient(auth=webhook.identity).get(f"/webhooks/{gid(webhook.remote_id)}")
    except ApiNotFound:
        return False
    return bool((answer.get("data") or {}).get("active", True))


def needed_resources() -> dict[str, tuple[str, str, set[str]]]:
    """{resource gid: (resource type, workspace, its task gids)} that linked tasks need: a
    project already watched if the task is in one, else its first project, else the task."""
    watched = set(Webhook.objects.filter(provider=PROVIDER).values_list("resource", flat=True))
    needed: dict[str, tuple[str, str, set[str]]] = {}
    rows = ExternalIssue.objects.filter(provider=PROVIDER).values_list("external_id", "details")
    for task_gid, details in rows:
        if not details:
            continue  # not read from Asana yet: it will be on its next sync
        projects = [p["gid"] for p in details.get("projects") or []]
        candidates = [(p, "project") for p in projects] or [(task_gid, "task")]
        chosen = next((c for c in candidates if c[0] in watched or c[0] in needed), candidates[0])
        needed.setdefault(chosen[0], (chosen[1], details.get("workspace", ""), set()))[2].add(
            task_gid
        )
    return needed


def ensure_webhooks(*, verify: bool = True, only: set[str] | None = None) -> None:
    """Make Asana's webhooks match what linked tasks need: remove the unneeded, recreate the
    ones Asana deleted (`verify`: one GET each), create the missing (for the tasks in `only`,
    or all)."""
    if not webhooks_reachable():
        return
    needed = needed_resources()
    for webhook in Webhook.objects.filter(provider=PROVIDER).select_related("identity"):
        if webhook.resource not in needed:
            unregister(webhook)
        elif verify and webhook.remote_id and not alive(webhook):
            logger.info("Asana no longer has the webhook on %s: recreating it", webhook.resource)
            webhook.delete()
    # A refused one (no remote_id) is asked for again once its backoff ends (register).
    present = set(
        Webhook.objects.filter(provider=PROVIDER)
        .exclude(remote_id="")
        .values_list("resource", flat=True)
    )
    for resource, (resource_type, workspace, task_gids) in needed.items():
        if resource in present or (only is not None and only.isdisjoint(task_gids)):
            continue
        identity = next(filter(None, map(sync.identity_for_task, sorted(task_gids))), None)
        if identity is not None:
            register(resource, resource_type, workspace, identity)


@shared_task(name="asana.track_task")  # type: ignore[untyped-decorator]  # Celery has no types
def track_task(task_gid: str) -> None:
    """A task was just linked: read its card fields and watch its project (or it)."""
    try:
        # Creating or linking usually stored the card already (Asana's answer carried it).
        if ExternalIssue.objects.filter(
            provider=PROVIDER, external_id=task_gid, details={}
        ).exists():
            sync.sync_task(task_gid)
        ensure_webhooks(verify=False, only={task_gid})
    except ApiError as exc:
        logger.warning("Tracking task %s waits for the reconciliation: %s", task_gid, exc)


@shared_task(name="asana.prune_webhooks")  # type: ignore[untyped-decorator]  # Celery has no types
def prune_webhooks() -> None:
    try:
        ensure_webhooks(verify=False, only=set())
    except ApiError as exc:
        logger.warning("Pruning webhooks waits for the reconciliation: %s", exc)


def _queue(task: Any, *args: Any) -> None:
    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # the reconciliation does the same later
            logger.exception("Could not queue %s", task.name)

    transaction.on_commit(send)


@receiver(post_save, sender=ExternalIssue, dispatch_uid="asana_track_task")
def on_link(sender: Any, instance: ExternalIssue, created: bool, **kwargs: Any) -> None:
    if created and instance.provider == PROVIDER:
        _queue(track_task, instance.external_id)


@receiver(post_delete, sender=ExternalIssue, dispatch_uid="asana_prune_webhooks")
def on_unlink(sender: Any, instance: ExternalIssue, **kwargs: Any) -> None:
    if instance.provider == PROVIDER:
        _queue(prune_webhooks)
