"""The receiver at /hooks/asana/<id>/: handshake, signature, storing before answering."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.asana.sync import forget_old_deliveries
from integrations.models import ProcessedEvent, Webhook, WebhookDelivery

SECRET = "a" * 64
EVENT = {
    "user": {"gid": "1200000000000004", "resource_type": "user"},
    "created_at": "2026-01-05T09:00:00.000Z",
    "action": "changed",
    "parent": None,
    "resource": {"gid": "1299", "resource_type": "task", "resource_subtype": "default_task"},
    "change": {"field": "completed", "action": "changed"},
}


def signed(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def webhook(db):
    return Webhook.objects.create(
        provider="asana",
        resource="1200000000000008",
        resource_type="project",
        remote_id="77",
        secret=SECRET,
    )


def post(client, webhook, body: bytes, **headers):
    return client.post(
        f"/hooks/asana/{webhook.pk}/", body, content_type="application/json", headers=headers
    )


def test_handshake_echoes_the_secret_and_stores_it(client, db):
    pending = Webhook.objects.create(provider="asana", resource="1", resource_type="task")
    answer = post(client, pending, b"", **{"X-Hook-Secret": SECRET})
    assert answer.status_code == 200
    assert answer["X-Hook-Secret"] == SECRET
    pending.refresh_from_db()
    assert pending.secret == SECRET


def test_a_second_handshake_cannot_replace_the_secret(client, webhook):
    answer = post(client, webhook, b"", **{"X-Hook-Secret": "b" * 64})
    assert answer.status_code == 403
    webhook.refresh_from_db()
    assert webhook.secret == SECRET


@pytest.mark.parametrize("signature", ["", "0" * 64, signed(b"{}", "b" * 64)])
def test_a_bad_or_missing_signature_is_refused_and_nothing_stored(client, webhook, signature):
    body = json.dumps({"events": [EVENT]}).encode()
    headers = {"X-Hook-Signature": signature} if signature else {}
    answer = post(client, webhook, body, **headers)
    assert answer.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert not ProcessedEvent.objects.exists()


def test_a_heartbeat_is_answered_and_noted(client, webhook):
    body = b'{"events":[]}'
    answer = post(client, webhook, body, **{"X-Hook-Signature": signed(body)})
    assert answer.status_code == 200
    webhook.refresh_from_db()
    assert webhook.last_delivery is not None
    assert not WebhookDelivery.objects.exists()


def test_a_signed_delivery_is_stored_and_processed(
    client, webhook, django_capture_on_commit_callbacks
):
    body = json.dumps({"events": [EVENT]}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, webhook, body, **{"X-Hook-Signature": signed(body)})
    assert answer.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.body == body.decode()
    # No linked task 1299: processed (eagerly here) without reading Asana.
    assert delivery.processed_at is not None


def test_an_unknown_webhook_is_404(client, db):
    assert post(client, Webhook(pk=999), b"{}").status_code == 404


def test_only_post(client, webhook):
    assert client.get(f"/hooks/asana/{webhook.pk}/").status_code == 405


def test_a_signed_body_that_is_not_json_is_refused(client, webhook):
    body = b"not json"
    answer = post(client, webhook, body, **{"X-Hook-Signature": signed(body)})
    assert answer.status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_processed_deliveries_are_forgotten_after_a_week(webhook):
    old = timezone.now() - timedelta(days=8)
    WebhookDelivery.objects.create(webhook=webhook, body="{}", processed_at=old)
    kept = WebhookDelivery.objects.create(webhook=webhook, body="{}", processed_at=None)
    ProcessedEvent.objects.create(key="k", date_added=old)
    forget_old_deliveries()
    assert list(WebhookDelivery.objects.all()) == [kept]
    assert not ProcessedEvent.objects.exists()
