"""Projects and their client keys: list, create, the project page (DSN and set-up snippets),
rename, delete; add, edit, disable, enable and rotate keys.

Any member of an organization may create a project in it; only its owners rename, delete
and manage keys (tracker/access.py decides, no view checks by hand).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import CASCADE, Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from config.http import HtmxHttpRequest
from tracker import onboarding
from tracker.access import (
    get_key_for_owner,
    get_project_for_owner,
    get_project_for_user,
    is_owner,
)
from tracker.models import Issue, Membership, Organization, Project, ProjectKey
from tracker.project_forms import (
    KeyForm,
    ProjectCreateForm,
    ProjectDeleteForm,
    ProjectRenameForm,
)
from tracker.snippets import snippets_for


@login_required
def project_list(request: HtmxHttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("organization")
    projects = Project.objects.for_user(request.user).annotate(
        unresolved=Count("issues", filter=Q(issues__status=Issue.Status.UNRESOLVED))
    )
    by_org: dict[int, list[Project]] = {}
    for project in projects:
        by_org.setdefault(project.organization_id, []).append(project)
    organizations = [
        {
            "organization": m.organization,
            "is_owner": m.role == Membership.Role.OWNER,
            "projects": by_org.get(m.organization_id, []),
        }
        for m in sorted(memberships, key=lambda m: m.organization.name.lower())
    ]
    context = {
        "organizations": organizations,
        "checklist": onboarding.checklist_for(request),
    }
    return render(request, "tracker/project_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HtmxHttpRequest) -> HttpResponse:
    organizations = list(Organization.objects.filter(membership__user=request.user))
    initial = {"organization": request.GET.get("organization")} if request.method == "GET" else {}
    form = ProjectCreateForm(request.POST or None, organizations=organizations, initial=initial)
    if not organizations:
        messages.error(request, "You are not a member of any organization yet.")
        return redirect("project_list")
    if request.method == "POST" and form.is_valid():
        project = form.save()
        messages.success(
            request,
            f"Project “{project.name}” created. Put its DSN in your application to send errors.",
        )
        return redirect("project_detail", project.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "organizations": organizations}
    return render(request, "tracker/project_create.html", context, status=status)


def rules_url(project: Project) -> str | None:
    """The project's automation rules page, if this Tasklink has one."""
    url = f"/projects/{project.pk}/rules/"
    try:
        resolve(url)
    except Resolver404:
        return None
    return url


@login_required
def project_detail(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request, project_id)
    keys = [key for key in project.keys.all() if key.is_active]
    context = {
        "project": project,
        "keys": keys,
        "snippets": snippets_for(project.platform, keys[0].dsn()) if keys else [],
        "is_owner": is_owner(request.user, project),
        "issues_url": f"{reverse('issue_list')}?project={project.pk}",
        "rules_url": rules_url(project),
        "checklist": onboarding.checklist_for(request),
    }
    return render(request, "tracker/project_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_rename(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_owner(request, project_id)
    form = ProjectRenameForm(request.POST or None, project=project, initial={"name": project.name})
    if request.method == "POST" and form.is_valid():
        old = project.name
        project.name = form.cleaned_data["name"]
        project.save(update_fields=["name"])
        messages.success(request, f"Project “{old}” is now “{project.name}”.")
        return redirect("project_detail", project.pk)
    status = 400 if form.errors else 200
    context = {"project": project, "form": form}
    return render(request, "tracker/project_rename.html", context, status=status)


def deletion_summary(project: Project) -> list[str]:
    """What deleting the project takes with it, e.g. ["12 issues", "340 events", ...].

    Read from the models that point at projects and issues, whichever app they belong to, so
    a plugin's settings or linked tasks are named without the tracker knowing the plugin.
    """
    counts: list[tuple[object, int]] = []
    for model, prefix in ((Project, ""), (Issue, "issue__")):
        for relation in model._meta.related_objects:
            if relation.many_to_many or relation.on_delete is not CASCADE:
                continue
            lookup = f"{relation.field.name}__project" if prefix else relation.field.name
            found = relation.related_model._default_manager.filter(**{lookup: project}).count()
            counts.append((relation.related_model._meta, found))
    return [
        f"{found} {meta.verbose_name if found == 1 else meta.verbose_name_plural}"
        for meta, found in counts
        if found
    ]


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_owner(request, project_id)
    form = ProjectDeleteForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        name = project.name
        project.delete()
        messages.success(request, f"Project “{name}” and everything in it were deleted.")
        return redirect("project_list")
    context = {"project": project, "form": form, "lost": deletion_summary(project)}
    status = 400 if form.errors else 200
    return render(request, "tracker/project_delete.html", context, status=status)


# --- client keys -------------------------------------------------------------------------------


def render_keys(
    request: HtmxHttpRequest, project: Project, form: KeyForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "project": project,
        "keys": list(project.keys.all()),
        "is_owner": is_owner(request.user, project),
        "form": form or KeyForm(),
    }
    template = "tracker/project_keys.html#keys" if request.htmx else "tracker/project_keys.html"
    return render(request, template, context, status=status)


def keys_done(request: HtmxHttpRequest, project: Project) -> HttpResponse:
    """After a key changed: the list again for htmx, a redirect for a plain browser."""
    if request.htmx:
        return render_keys(request, project)
    return redirect("project_keys", project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def project_keys(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    if request.method == "GET":
        return render_keys(request, get_project_for_user(request, project_id))
    project = get_project_for_owner(request, project_id)
    form = KeyForm(request.POST)
    if not form.is_valid():
        return render_keys(request, project, form, status=400)
    key = ProjectKey.objects.create(project=project, **form.cleaned_data)
    messages.success(request, f"Key “{key.label}” added. Its DSN works at once.")
    return keys_done(request, project)


@login_required
@require_http_methods(["GET", "POST"])
def key_edit(request: HtmxHttpRequest, project_id: int, key_id: int) -> HttpResponse:
    key = get_key_for_owner(request, project_id, key_id)
    initial = {"label": key.label, "rate_limit_per_minute": key.rate_limit_per_minute}
    form = KeyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        key.label = form.cleaned_data["label"]
        key.rate_limit_per_minute = form.cleaned_data["rate_limit_per_minute"]
        key.save(update_fields=["label", "rate_limit_per_minute"])
        messages.success(request, f"Key “{key.label}” saved.")
        return redirect("project_keys", project_id)
    status = 400 if form.errors else 200
    context = {"project": key.project, "key": key, "form": form}
    return render(request, "tracker/key_edit.html", context, status=status)


@login_required
@require_POST
def key_set_active(
    request: HtmxHttpRequest, project_id: int, key_id: int, active: bool
) -> HttpResponse:
    key = get_key_for_owner(request, project_id, key_id)
    if key.is_active != active:
        key.is_active = active
        # save() sends post_save, which ingestion may use to forget a cached key at once.
        key.save(update_fields=["is_active"])
    state = "enabled" if active else "disabled: events sent with it are refused"
    messages.success(request, f"Key “{key.label}” {state}.")
    return keys_done(request, key.project)


@login_required
@require_POST
def key_rotate(request: HtmxHttpRequest, project_id: int, key_id: int) -> HttpResponse:
    key = get_key_for_owner(request, project_id, key_id)
    with transaction.atomic():
        new = ProjectKey.objects.create(
            project=key.project,
            label=key.label,
            rate_limit_per_minute=key.rate_limit_per_minute,
        )
        key.is_active = False
        key.save(update_fields=["is_active"])
    messages.success(
        request,
        f"Key “{key.label}” rotated: the old DSN is refused from now on. "
        f"Put the new one ({new.public_key[:8]}…) in your applications.",
    )
    return keys_done(request, key.project)


# --- onboarding --------------------------------------------------------------------------------


@login_required
@require_POST
def onboarding_dismiss(request: HtmxHttpRequest) -> HttpResponse:
    request.session[onboarding.DISMISSED] = True
    if request.htmx:
        return HttpResponse("")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("project_list")
    return HttpResponseRedirect(target)
