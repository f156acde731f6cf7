"""The issue page's plugin panel and its actions, for any IssueTrackerPlugin.

Each view answers htmx with a fragment and a plain browser with a page or a redirect, so the
panel works without JavaScript. Failures are shown beside the form, with the input kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from integrations.base import AlreadyLinked, CreateInProgress, IssueTrackerPlugin, PanelState
from integrations.exceptions import ApiError, IdentityRequired
from tracker.access import get_issue_for_user, is_owner
from tracker.models import Issue

logger = logging.getLogger("tasklink.plugins")
TEMPLATE = "integrations/plugin.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass
class PanelContext:
    """Everything a view needs to know about the plugin on one issue, for one person."""

    plugin: IssueTrackerPlugin
    issue: Issue
    options: dict
    identity: object
    state: str

    @classmethod
    def load(cls, request, plugin: IssueTrackerPlugin, issue_id: int) -> PanelContext:
        issue = get_issue_for_user(request, issue_id)
        options = plugin.get_options(issue.project)
        identity = plugin.get_identity(request.user)
        return cls(plugin, issue, options, identity, plugin.panel_state(options, identity))

    def as_dict(self, request, **more) -> dict:
        ready = self.state == PanelState.READY
        return {
            "workspace_name": self.workspace_label() if ready else "",
            "plugin": self.plugin,
            "issue": self.issue,
            "options": self.options,
            "identity": self.identity,
            "state": self.state,
            "is_owner": is_owner(request.user, self.issue.project),
            "urls": plugin_urls(self.plugin, self.issue),
            **more,
        }

    def workspace_label(self) -> str:
        gid = self.options.get("workspace", "")
        try:
            return self.plugin.workspace_name(self.identity, gid) or f"Workspace {gid}"
        except (ApiError, IdentityRequired):
            return f"Workspace {gid}"


def plugin_urls(plugin: IssueTrackerPlugin, issue: Issue) -> dict[str, str]:
    base = f"plugin_{plugin.slug}"
    return {
        name: reverse(f"{base}_{name}", args=[issue.pk])
        for name in ("panel", "create", "link", "unlink", "autocomplete", "tasks")
    } | {
        "settings": reverse(f"{base}_settings", args=[issue.project_id]),
        "issue": issue.get_absolute_url(),
    }


def respond(request: HtmxHttpRequest, partial: str, context: dict, status: int = 200):
    """The fragment for htmx; for a plain browser, the fragment inside a full page."""
    if request.htmx:
        return render(request, f"{TEMPLATE}#{partial}", context, status=status)
    return render(
        request, "integrations/plugin_page.html", {**context, "partial": partial}, status=status
    )


def not_ready(request, panel: PanelContext) -> HttpResponse | None:
    """Actions need a configured project and a working identity; otherwise show the panel."""
    if panel.state == PanelState.READY:
        return None
    return respond(request, "panel", panel.as_dict(request), status=409)


# --- drafts: what a person typed survives a trip through Asana's consent page ----------------


def _draft_key(panel: PanelContext, action: str) -> str:
    return f"tasklink:draft:{panel.plugin.slug}:{panel.issue.pk}:{action}"


def save_draft(request, panel: PanelContext, action: str) -> None:
    request.session[_draft_key(panel, action)] = {
        key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"
    }


def pop_draft(request, panel: PanelContext, action: str) -> dict | None:
    return request.session.pop(_draft_key(panel, action), None)


def error_status(error: Exception) -> int:
    """Asana refusing the input is the person's 400; Asana failing is a 502, never our 500."""
    if isinstance(error, IdentityRequired):
        return 409
    status = getattr(error, "status", None) or 502
    return 400 if 400 <= status < 500 and status != 429 else 502


def failure_message(request, panel: PanelContext, action: str, error: Exception) -> dict:
    """Context for an error shown beside the form. The typed input stays in the form."""
    if isinstance(error, IdentityRequired):
        save_draft(request, panel, action)
        return {"error": str(error), "reconnect": True}
    logger.warning("%s %s failed on issue %s: %s", panel.plugin.slug, action, panel.issue.pk, error)
    return {"error": str(error), "reconnect": False}


# --- views ---------------------------------------------------------------------------------


@login_required
@require_GET
def panel_view(request: HtmxHttpRequest, issue_id: int, plugin: IssueTrackerPlugin):
    panel = PanelContext.load(request, plugin, issue_id)
    context = panel.as_dict(request, tasks=list(plugin.linked_tasks(panel.issue)))
    return respond(request, "panel", context)


@login_required
@require_http_methods(["GET", "POST"])
def create_view(request: HtmxHttpRequest, issue_id: int, plugin: IssueTrackerPlugin):
    panel = PanelContext.load(request, plugin, issue_id)
    if (blocked := not_ready(request, panel)) is not None:
        return blocked
    if request.method == "GET":
        initial = plugin.create_initial(panel.issue, request.user, panel.options)
        form = plugin.create_form_class(pop_draft(request, panel, "create"), initial=initial)
        return respond(request, "create-form", panel.as_dict(request, form=form))

    form = plugin.create_form_class(request.POST)
    if not form.is_valid():
        return respond(request, "create-form", panel.as_dict(request, form=form), status=400)
    data = dict(form.cleaned_data)
    try:
        plugin.resolve_typed_choices(panel.identity, panel.options, form, data)
        mapping, created = plugin.create(
            issue=panel.issue,
            user=request.user,
            identity=panel.identity,
            options=panel.options,
            data=data,
            idempotency_key=data.get("idempotency_key", ""),
        )
    except ValueError as error:  # a typed project or assignee matched nothing
        form.add_error(None, str(error))
        return respond(request, "create-form", panel.as_dict(request, form=form), status=400)
    except CreateInProgress:
        context = {
            "error": "This task is still being created from another tab. "
            "Reload the issue in a moment.",
            "reconnect": False,
        }
        return respond(
            request, "create-form", panel.as_dict(request, form=form, **context), status=409
        )
    except (ApiError, IdentityRequired) as error:
        context = failure_message(request, panel, "create", error)
        return respond(
            request,
            "create-form",
            panel.as_dict(request, form=form, **context),
            status=error_status(error),
        )
    verb = "Created" if created else "Already created"
    return done(request, panel, f"{verb} {plugin.title} task “{mapping.title}”.")


@login_required
@require_http_methods(["GET", "POST"])
def link_view(request: HtmxHttpRequest, issue_id: int, plugin: IssueTrackerPlugin):
    panel = PanelContext.load(request, plugin, issue_id)
    if (blocked := not_ready(request, panel)) is not None:
        return blocked
    if request.method == "GET":
        # The issue's link as Sentry's plugin posts it, like the create form's notes.
        initial = {"comment": f"{panel.issue.absolute_url()}?referrer={plugin.slug}_plugin"}
        # A draft kept through a reconnect comes back bound; otherwise the form is fresh.
        form = plugin.link_form_class(pop_draft(request, panel, "link"), initial=initial)
        return respond(request, "link-form", panel.as_dict(request, form=form))

    form = plugin.link_form_class(request.POST)
    if not form.is_valid():
        return respond(request, "link-form", panel.as_dict(request, form=form), status=400)
    try:
        mapping = plugin.link(
            issue=panel.issue,
            user=request.user,
            identity=panel.identity,
            external_id=form.cleaned_data["issue_id"],
            comment=form.cleaned_data["comment"],
        )
    except AlreadyLinked:
        form.add_error("issue_id", "This task is already linked to this issue.")
        return respond(request, "link-form", panel.as_dict(request, form=form), status=400)
    except (ApiError, IdentityRequired) as error:
        context = failure_message(request, panel, "link", error)
        return respond(
            request,
            "link-form",
            panel.as_dict(request, form=form, **context),
            status=error_status(error),
        )
    commented = " and commented on it" if form.cleaned_data["comment"] else ""
    return done(request, panel, f"Linked {plugin.title} task “{mapping.title}”{commented}.")


@login_required
@require_POST
def unlink_view(request: HtmxHttpRequest, issue_id: int, plugin: IssueTrackerPlugin):
    panel = PanelContext.load(request, plugin, issue_id)
    form = plugin.unlink_form_class(request.POST)
    mapping = (
        plugin.unlink(
            issue=panel.issue, user=request.user, external_id=form.cleaned_data["issue_id"]
        )
        if form.is_valid()
        else None
    )
    if mapping is None:
        return done(request, panel, "That task was not linked to this issue.", level="warning")
    return done(
        request,
        panel,
        f"Unlinked “{mapping.title}”. The task itself was not changed in {plugin.title}.",
    )


def done(request, panel: PanelContext, message: str, level: str = "success") -> HttpResponse:
    """After an action: htmx gets the refreshed panel, a plain browser goes back to the issue."""
    if request.htmx:
        context = panel.as_dict(
            request,
            tasks=list(panel.plugin.linked_tasks(panel.issue)),
            notice=message,
            notice_level=level,
        )
        response = render(request, f"{TEMPLATE}#panel", context)
        # The whole panel is redrawn, whichever form asked; the activity list reloads too.
        response["HX-Retarget"] = f"#panel-{panel.plugin.slug}"
        response["HX-Reswap"] = "innerHTML"
        response["HX-Trigger"] = "activity-changed"
        return response
    getattr(messages, level)(request, message)
    return redirect(panel.issue)


@login_required
@require_GET
def autocomplete_view(request: HtmxHttpRequest, issue_id: int, plugin: IssueTrackerPlugin):
    panel = PanelContext.load(request, plugin, issue_id)
    field_name = request.GET.get("autocomplete_field", "")
    if field_name not in plugin.autocomplete_fields:
        return JsonResponse({"error": "Unknown autocomplete field."}, status=400)
    if panel.state != PanelState.READY:
        message = (
            plugin.error_auth_not_configured
            if panel.state in (PanelState.NO_IDENTITY, PanelState.RECONNECT)
            else f"{plugin.title} is not configured for this project."
        )
        return autocomplete_error(request, field_name, message, 400)
    return autocomplete_response(request, plugin, panel.identity, panel.options, field_name)


def autocomplete_response(request, plugin, identity, options: dict, field_name: str):
    """Sentry's JSON shape, {field: [{"text", "id"}]}, or an options fragment for htmx."""
    query = (
        (
            request.GET.get("autocomplete_query")
            or request.GET.get(f"{field_name}_label")
            or request.GET.get(field_name)
            or ""
        )
        .replace("\x00", "")
        .strip()[:200]
    )
    results = []
    if plugin.worth_searching(field_name, query):
        try:
            results = plugin.autocomplete(
                identity=identity, options=options, field=field_name, query=query
            )
        except (ApiError, IdentityRequired) as error:
            return autocomplete_error(request, field_name, str(error), 400)
    if request.htmx:
        return render(
            request,
            f"{TEMPLATE}#options",
            {"results": results, "field": field_name, "query": query},
        )
    return JsonResponse({field_name: results})


def autocomplete_error(request, field_name: str, message: str, status: int) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            f"{TEMPLATE}#options",
            {"results": [], "field": field_name, "error": message},
            status=status,
        )
    return JsonResponse({"error": message}, status=status)


@login_required
@require_GET
def tasks_view(request: HtmxHttpRequest, issue_id: int, plugin: IssueTrackerPlugin):
    """The linked tasks with their status read from the tracker (status sync)."""
    panel = PanelContext.load(request, plugin, issue_id)
    tasks = list(plugin.linked_tasks(panel.issue))
    error = ""
    if panel.state == PanelState.READY and tasks:
        try:
            plugin.sync_status(panel.identity, tasks)
        except (ApiError, IdentityRequired) as exc:
            error = f"Could not refresh the tasks' status: {exc}"
    if not request.htmx:
        return redirect(panel.issue)
    # Out-of-band swaps of each task's title and badge; the list and its forms stay as they are.
    return render(
        request,
        f"{TEMPLATE}#synced-tasks",
        {"plugin": plugin, "tasks": tasks, "sync_error": error},
    )
