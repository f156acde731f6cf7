"""The tracker's models in Django admin, and the short-id search and project filter the
integrations' admin uses too."""

from __future__ import annotations

import re

from django.contrib import admin
from django.db.models import Q, QuerySet

from tracker.models import Activity, Event, Issue, Membership, Organization, Project, ProjectKey

# "BACKEND-6": a project's short name, a dash, the issue's number in base 36.
SHORT_ID = re.compile(r"^(?P<short_name>[\w-]+)-(?P<number>[0-9a-z]+)$", re.IGNORECASE)


def short_id_q(term: str, prefix: str = "") -> Q | None:
    """The issues whose short id is `term` (prefix: the path to the issue, e.g. "issue__")."""
    match = SHORT_ID.match(term.strip())
    if not match:
        return None
    return Q(
        **{
            f"{prefix}project__short_name__iexact": match["short_name"],
            f"{prefix}number": int(match["number"], 36),
        }
    )


class ShortIdSearchMixin:
    """Admin search that also finds issues by short id ("BACKEND-6"), besides search_fields."""

    issue_path = ""

    def get_search_results(self, request, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        by_short_id = short_id_q(search_term, self.issue_path)
        if by_short_id is not None:
            results |= queryset.filter(by_short_id)
        return results, may_have_duplicates


def project_filter(field_path: str) -> type[admin.SimpleListFilter]:
    """A project filter whose choices name the organization: two organizations may both
    have a "Backend"."""

    class ProjectFilter(admin.SimpleListFilter):
        title = "project"
        parameter_name = "project"

        def lookups(self, request, model_admin):
            projects = Project.objects.select_related("organization").order_by(
                "organization__name", "name"
            )
            return [(p.pk, f"{p.organization.name} / {p.name}") for p in projects]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{field_path: self.value()})
            return queryset

    return ProjectFilter


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class ProjectKeyInline(admin.TabularInline):
    model = ProjectKey
    extra = 0
    readonly_fields = ["public_key", "date_added"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "date_added"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "date_added"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__name"]
    raw_id_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "short_name", "platform"]
    list_filter = ["organization"]
    search_fields = ["name", "slug", "short_name"]
    inlines = [ProjectKeyInline]


@admin.register(Issue)
class IssueAdmin(ShortIdSearchMixin, admin.ModelAdmin):
    list_display = ["short_id", "title", "project", "level", "status", "event_count", "last_seen"]
    list_filter = ["status", "level", "project__organization", project_filter("project")]
    search_fields = ["title", "culprit"]
    search_help_text = "Short id (BACKEND-6), title or culprit"
    list_select_related = ["project__organization"]
    readonly_fields = ["number"]
    date_hierarchy = "last_seen"


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "issue", "exception_type", "timestamp"]
    search_fields = ["event_id", "message", "exception_value"]
    raw_id_fields = ["issue"]
    list_select_related = ["issue__project"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["issue", "user", "kind", "date_added"]
    list_filter = ["kind"]
    raw_id_fields = ["issue", "user"]
    list_select_related = ["issue__project", "user"]
