from django.contrib import admin

from tracker.models import Activity, Event, Issue, Membership, Organization, Project, ProjectKey


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
class IssueAdmin(admin.ModelAdmin):
    list_display = ["short_id", "title", "project", "level", "status", "event_count", "last_seen"]
    list_filter = ["status", "level", "project"]
    search_fields = ["title", "culprit"]
    list_select_related = ["project"]
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
