"""Connected identities in the Django admin: who, which tracker account, its status and expiry.

social_django's own admin shows `extra_data` (the decrypted access and refresh tokens) in an
editable field. Here no token is ever shown and no form can write one; deleting an identity
revokes its grant at the tracker first (integrations.identities.revoke_before_delete).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from social_django.models import UserSocialAuth

from integrations import identities, registry

REDACTED = "•••••• (hidden)"

if admin.site.is_registered(UserSocialAuth):
    admin.site.unregister(UserSocialAuth)


IDENTITY_FIELDS = ["user", "provider", "uid", "account", "status", "expires", "tokens", "created"]


@admin.register(UserSocialAuth)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "uid", "account", "status", "expires"]
    list_filter = ["provider"]
    search_fields = ["user__username", "user__email", "uid"]
    list_select_related = ["user"]
    # Nothing here is editable: an identity comes from the OAuth dance, never from a form.
    fields = IDENTITY_FIELDS  # type: ignore[assignment]  # a flat list is a valid fieldset
    readonly_fields = IDENTITY_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the change page becomes a read-only view page

    @admin.display(description="account")
    def account(self, obj: UserSocialAuth) -> str:
        data = obj.extra_data or {}
        name, email = data.get("name", ""), data.get("email", "")
        return f"{name} <{email}>" if email else name

    @admin.display(description="status")
    def status(self, obj: UserSocialAuth) -> str:
        plugin = registry.for_auth_provider(obj.provider)
        return identities.token_status(obj, plugin.title if plugin else obj.provider).label

    @admin.display(description="access token expires")
    def expires(self, obj: UserSocialAuth) -> str:
        deadline = identities.expires_at(obj)
        if deadline is None:
            return "—"
        return datetime.fromtimestamp(deadline, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")

    @admin.display(description="tokens")
    def tokens(self, obj: UserSocialAuth) -> str:
        data = obj.extra_data or {}
        held = [name for name in ("access_token", "refresh_token") if data.get(name)]
        return ", ".join(f"{name}: {REDACTED}" for name in held) or "none stored"
