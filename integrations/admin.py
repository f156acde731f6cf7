from django.contrib import admin
from django.utils.html import format_html

import integrations.admin_identities  # noqa: F401  (identities, tokens redacted)
from integrations.models import ExternalIssue, PluginConfig


@admin.register(ExternalIssue)
class ExternalIssueAdmin(admin.ModelAdmin):
    list_display = ["issue", "task", "provider", "origin", "completed", "created_by", "date_added"]
    list_filter = ["provider", "origin", "completed", "issue__project", "date_added"]
    search_fields = ["title", "external_id", "issue__title"]
    raw_id_fields = ["issue", "created_by"]
    list_select_related = ["issue__project", "created_by"]
    readonly_fields = ["date_added", "idempotency_key", "choices"]
    date_hierarchy = "date_added"

    @admin.display(description="task", ordering="title")
    def task(self, obj: ExternalIssue) -> str:
        if not obj.url:
            return obj.title
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.url, obj.title)


@admin.register(PluginConfig)
class PluginConfigAdmin(admin.ModelAdmin):
    list_display = ["project", "plugin", "updated_by", "date_updated"]
    list_filter = ["plugin", "project__organization"]
    raw_id_fields = ["updated_by"]
    list_select_related = ["project", "updated_by"]
