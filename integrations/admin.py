"""Linked tasks and plugin settings in Django admin: a tool an operator can search and filter.

Provider names are data here (a mapping's `provider`, the plugin registry's titles): this
module names no tracker.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

import integrations.admin_identities  # noqa: F401  (identities, tokens redacted)
from integrations import registry
from integrations.models import ExternalIssue, PluginConfig
from integrations.registry import plugin_title
from tracker.admin import ShortIdSearchMixin, project_filter
from tracker.models import Project


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Project) -> str:
        # A project's name alone is ambiguous across organizations.
        return f"{obj.organization} / {obj.name}"


def plugin_filter(field: str, title: str) -> type[admin.SimpleListFilter]:
    """A filter on a plugin slug field, each plugin in use offered once, by its title."""

    class PluginFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            rows = model_admin.get_queryset(request).order_by(field)
            used = rows.values_list(field, flat=True).distinct()
            return [(slug, plugin_title(slug)) for slug in used]

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    PluginFilter.title = title
    return PluginFilter


class TaskStatusFilter(admin.SimpleListFilter):
    title = "task status"
    parameter_name = "task"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("completed", "Completed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        if self.value() in ("open", "completed"):
            return queryset.filter(completed=self.value() == "completed")
        return queryset


class IssueStatusFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "issue status"


class ReadableTitleMixin(admin.ModelAdmin):
    """The change page is headed by `readable_title(obj)`, not the model's terse str()."""

    def readable_title(self, obj: Any) -> str:
        raise NotImplementedError

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context = {**(extra_context or {}), "subtitle": self.readable_title(obj)}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ExternalIssue)
class ExternalIssueAdmin(ShortIdSearchMixin, admin.ModelAdmin):
    list_display = ["mapping", "origin", "task_status", "created_by", "date_added"]
    list_filter = [
        plugin_filter("provider", "provider"),
        "origin",
        TaskStatusFilter,
        ("issue__status", IssueStatusFilter),
        "issue__project__organization",
        project_filter("issue__project"),
        "date_added",
    ]
    search_fields = [
        "title",
        "=external_id",
        "url",
        "issue__title",
        "created_by__username",
        "created_by__email",
    ]
    search_help_text = "Issue short id (BACKEND-6), task title, gid or URL, issue title, or user"
    issue_path = "issue__"
    raw_id_fields = ["issue", "created_by"]
    list_select_related = ["issue__project", "created_by"]
    readonly_fields = ["task_link", "date_added", "idempotency_key", "choices"]
    date_hierarchy = "date_added"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExternalIssue]:
        # str() names the issue by its short id (issue and project): read with the mapping on
        # every admin page (list, change, delete confirmation), never one query per row.
        return super().get_queryset(request).select_related("issue__project")

    @admin.display(description="linked task", ordering="title")
    def mapping(self, obj: ExternalIssue) -> str:
        # Issue, tracker and task (ExternalIssue.__str__), from the rows list_select_related
        # brings: no query per row.
        return str(obj)

    @admin.display(description="task", boolean=False, ordering="completed")
    def task_status(self, obj: ExternalIssue) -> str:
        return "Completed" if obj.completed else "Open"

    @admin.display(description="task in the tracker")
    def task_link(self, obj: ExternalIssue) -> str:
        if not obj.url:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.url, obj.url)


def option(label: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=200)


class PluginConfigForm(forms.ModelForm):
    """Plugin settings as fields, written into the JSON `options` ({"workspace": gid, ...}).

    Keys a plugin keeps that this form does not show are left as they are.
    """

    plugin = forms.ChoiceField(choices=lambda: [(p.slug, p.title) for p in registry.plugins()])
    workspace = option("Workspace (id)")
    project_default = option("Default project (id)")
    project_label = option("Default project (name)")
    assignee = option("Default assignee (id)")
    assignee_label = option("Default assignee (name)")
    sync_resolution = forms.BooleanField(
        label="Complete linked tasks when an issue is resolved, reopen them when it is reopened",
        required=False,
    )

    # Form field -> key in `options` ("project" is the model's own field).
    OPTION_KEYS = {
        "workspace": "workspace",
        "project_default": "project",
        "project_label": "project_label",
        "assignee": "assignee",
        "assignee_label": "assignee_label",
        "sync_resolution": "sync_resolution",
    }

    class Meta:
        model = PluginConfig
        fields = ["project", "plugin"]
        field_classes = {"project": ProjectChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = self.instance.options or {}
        for field, key in self.OPTION_KEYS.items():
            self.initial.setdefault(field, options.get(key, self.fields[field].initial))
        if "project" in self.fields:
            projects = self.fields["project"]
            assert isinstance(projects, forms.ModelChoiceField)
            projects.queryset = Project.objects.select_related("organization")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        plugin = next((p for p in registry.plugins() if p.slug == cleaned.get("plugin")), None)
        fields = {key: field for field, key in self.OPTION_KEYS.items()}
        if plugin is None:
            return cleaned
        for key in plugin.required_options:
            if key in fields and not cleaned.get(fields[key]):
                self.add_error(fields[key], f"{plugin.title} needs this setting.")
        return cleaned

    def save(self, commit: bool = True) -> PluginConfig:
        options = dict(self.instance.options or {})
        for field, key in self.OPTION_KEYS.items():
            value = self.cleaned_data[field]
            options[key] = value.strip() if isinstance(value, str) else value
        self.instance.options = options
        config: PluginConfig = super().save(commit)
        return config


@admin.register(PluginConfig)
class PluginConfigAdmin(ReadableTitleMixin, admin.ModelAdmin):
    form = PluginConfigForm
    list_display = ["project_name", "plugin_name", "workspace", "updated_by", "date_updated"]
    list_filter = [
        plugin_filter("plugin", "plugin"),
        "project__organization",
        project_filter("project"),
    ]
    search_fields = ["project__name", "project__organization__name", "options__workspace"]
    list_select_related = ["project__organization", "updated_by"]
    readonly_fields = ["updated_by", "date_updated"]
    fieldsets = [
        (None, {"fields": ["project", "plugin"]}),
        ("Settings", {"fields": list(PluginConfigForm.OPTION_KEYS)}),
        ("Changes", {"fields": ["updated_by", "date_updated"]}),
    ]

    def readable_title(self, obj: PluginConfig) -> str:
        return f"{plugin_title(obj.plugin)} settings for {self.project_name(obj)}"

    def save_model(self, request: HttpRequest, obj: PluginConfig, form: Any, change: bool) -> None:
        # Only staff reach the admin: the user is always a logged-in one.
        obj.updated_by = request.user if isinstance(request.user, User) else None
        super().save_model(request, obj, form, change)

    @admin.display(description="project", ordering="project__name")
    def project_name(self, obj: PluginConfig) -> str:
        return f"{obj.project.organization} / {obj.project.name}"

    @admin.display(description="plugin", ordering="plugin")
    def plugin_name(self, obj: PluginConfig) -> str:
        return plugin_title(obj.plugin)

    @admin.display(description="workspace")
    def workspace(self, obj: PluginConfig) -> str:
        return obj.options.get("workspace", "") or "—"
