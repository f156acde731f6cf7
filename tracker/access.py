"""One access check per object kind: every view goes through these, none checks by hand."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from tracker.models import Issue, Membership, Project, ProjectKey


def get_issue_for_user(request: HttpRequest, issue_id: int) -> Issue:
    """The issue, if it belongs to one of the person's organizations; 404 otherwise."""
    return get_object_or_404(
        Issue.objects.for_user(request.user).select_related("project__organization"),
        pk=issue_id,
    )


def get_project_for_user(request: HttpRequest, project_id: int) -> Project:
    return get_object_or_404(
        Project.objects.for_user(request.user).select_related("organization"), pk=project_id
    )


def get_project_for_owner(request: HttpRequest, project_id: int) -> Project:
    """The project, if the person owns its organization. Members get 403, outsiders 404."""
    project = get_project_for_user(request, project_id)
    if not is_owner(request.user, project):
        raise PermissionDenied("Only the organization's owners can change its settings.")
    return project


def is_owner(user, project: Project) -> bool:
    return Membership.objects.filter(
        user=user, organization_id=project.organization_id, role=Membership.Role.OWNER
    ).exists()


def get_key_for_owner(request: HttpRequest, project_id: int, key_id: int) -> ProjectKey:
    """A client key of a project the person owns. Members get 403, outsiders 404."""
    project = get_project_for_owner(request, project_id)
    return get_object_or_404(project.keys.select_related("project"), pk=key_id)
