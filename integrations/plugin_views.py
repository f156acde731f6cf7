"""The issue page's plugin panel and its actions, for any IssueTrackerPlugin.

Each view answers htmx with a fragment and a plain browser with a page or a redirect, so the
panel works without JavaScript. Failures are shown beside the form, with the input kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event
from social_django.models import UserSocialAuth

from config.http import HtmxHttpRequest
from integrations.base import IssueTrackerPlugin, PanelState
from integrations.exceptions import (
    AlreadyLinked,
    ApiError,
    CreateInProgress,
    IdentityRequired,
    InvalidInput,
)
from tracker.access import get_issue_for_user, is_owner
from tracker.models import Issue

logger = logging.getLogger("tasklink.plugins")
Plugin = IssueTrackerPlugin
TEMPLATE = "integrations/plugin.html"


@dataclass
class PanelContext:
    """Everything a view needs to know about the plugin on one issue, for one person."""

    plugin: IssueTrackerPlugin
    issue: Issue
    options: dict[str, Any]
    identity: UserSocialAuth | None
    state: str

    @classmethod
    def load(
        cls, request: HtmxHttpRequest, plugin: IssueTrackerPlugin, issue_id: int
    ) -> PanelContext:
        issue = get_issue_for_user(request, issue_id)
        options = plugin.get_options(issue.project)
        identity = plugin.get_identity(request.user)
        return cls(plugin, issue, options, identity, plugin.panel_state(options, identity))

    def as_dict(self, request: HtmxHttpRequest, **more: object) -> dict[str, Any]:
        ready = self.state == PanelState.READY
        return {
            "described_options": self.described_options() if ready else [],
            "plugin": self.plugin,
            "issue": self.issue,
            "options": self.options,
            "identity": self.identity,
            "state": self.state,
            "is_owner": is_owner(request.user, self.issue.project),
            "urls": plugin_urls(self.plugin, self.issue),
            **more,
        }

    @property
    def acting_identity(self) -> UserSocialAuth:
        """The identity an action uses: only asked for once the panel is READY."""
        if self.identity is None:
            raise IdentityRequired()
        return self.identity

    def described_options(self) -> list[tuple[str, str]]:
        # The panel must show even when the tracker cannot answer: the plugin falls back.
        return self.plugin.describe_options(self.acting_identity, self.options)


def plugin_urls(plugin: IssueTrackerPlugin, issue: Issue) -> dict[str, str]:
    base = f"plugin_{plugin.slug}"
    return {
        name: reverse(f"{base}_{name}", args=[issue.pk])
        for name in ("panel", "create", "link", "unlink", "autocomplete", "tasks")
    } | {
        "settings": plugin.settings_url(issue.project_id),
        "issue": issue.get_absolute_url(),
    }


def respond(
    request: HtmxHttpRequest, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The fragment for htmx; for a plain browser, the fragment inside a full page."""
    if request.htmx:
        return render(request, f"{TEMPLATE}#{partial}", context, status=status)
    return render(
        request, "integrations/plugin_page.html", {**context, "partial": partial}, status=status
    )


def open_action(
    request: HtmxHttpRequest,
    plugin: IssueTrackerPlugin,
    issue_id: int,
    action: str,
    initial: Callable[[PanelContext], dict[str, Any]],
) -> tuple[PanelContext, forms.Form, HttpResponse | None]:
    """The start of an action (create, link): the panel, the form, and the answer when the
    view is done already: the panel (409) while the plugin is not ready, the empty form on GET
    (a draft kept through a reconnect comes back bound), the form with its errors (400)."""
    panel = PanelContext.load(request, plugin, issue_id)
    form_class = plugin.create_form_class if action == "create" else plugin.link_form_class
    if panel.state != PanelState.READY:
        # Actions need a configured project and a working identity.
        return panel, form_class(), respond(request, "panel", panel.as_dict(request), status=409)
    partial = f"{action}-form"
    if request.method == "GET":
        draft = pop_draft(request, panel, action)
        form = form_class(draft, initial=initial(panel))
        context = panel.as_dict(request, form=form, restored=draft is not None)
        return panel, form, respond(request, partial, context)
    form = form_class(request.POST)
    if form.is_valid():
        return panel, form, None
    context = panel.as_dict(request, form=form, matches=search_matches(panel, form))
    return panel, form, respond(request, partial, context, status=400)


def search_matches(panel: PanelContext, form: forms.Form) -> list[dict[str, str]]:
    """A task named without JavaScript (no list to pick from as they type): the tasks that
    match, listed beside the form to pick one."""
    query = getattr(form, "search_query", "")
    if not query:
        return []
    try:
        results = panel.plugin.autocomplete(
            identity=panel.acting_identity, options=panel.options, field="issue_id", query=query
        )
    except ApiError as error:
        form.add_error(None, panel.plugin.message_from_error(error))
        return []
    if not results:
        form.add_error(None, f"No {panel.plugin.title} task matches “{query}”.")
    return labelled(panel.plugin, "issue_id", results)


def labelled(
    plugin: IssueTrackerPlugin, field: str, results: list[dict[str, str]]
) -> list[dict[str, str]]:
    return [{**result, "label": plugin.option_label(field, result)} for result in results]


# --- drafts: what a person typed survives a trip through the tracker's consent page --------


def _draft_key(panel: PanelContext, action: str) -> str:
    return f"tasklink:draft:{panel.plugin.slug}:{panel.issue.pk}:{action}"


def save_draft(request: HtmxHttpRequest, panel: PanelContext, action: str) -> None:
    request.session[_draft_key(panel, action)] = {
        key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"
    }


def kept_draft(request: HtmxHttpRequest, panel: PanelContext) -> str:
    """The action whose form was kept through a reconnect ("" if none): the panel reopens it."""
    return next((a for a in ("create", "link") if _draft_key(panel, a) in request.session), "")


def pop_draft(request: HtmxHttpRequest, panel: PanelContext, action: str) -> dict[str, Any] | None:
    draft: dict[str, Any] | None = request.session.pop(_draft_key(panel, action), None)
    return draft


def error_status(error: ApiError) -> int:
    """The one status policy for tracker failures, whatever the action (create, link,
    autocomplete): a dead identity is 409 (reconnect), the tracker refusing the input is the
    person's 400, the tracker failing (5xx, 429, unreachable) is a 502, never our 500."""
    if isinstance(error, IdentityRequired):
        return 409
    status = error.status or 502
    return 400 if 400 <= status < 500 and status != 429 else 502


def reconnect_next(request: HtmxHttpRequest, panel: PanelContext, action: str) -> str:
    """Where Reconnect comes back to: the issue page, whose panel reopens the kept form by
    itself (htmx); without JavaScript the form's own page, which opens with the draft in it."""
    return (
        panel.issue.get_absolute_url()
        if request.htmx
        else plugin_urls(panel.plugin, panel.issue)[action]
    )


def failure_response(
    request: HtmxHttpRequest, panel: PanelContext, action: str, form: Any, error: ApiError
) -> HttpResponse:
    """The form again, the tracker's failure beside it and the typed input still in it."""
    reconnect = isinstance(error, IdentityRequired)
    if reconnect:
        save_draft(request, panel, action)
    else:
        logger.warning(
            "%s %s failed on issue %s: %s", panel.plugin.slug, action, panel.issue.pk, error
        )
    context = {
        "error": panel.plugin.message_from_error(error),
        "reconnect": reconnect,
        "reconnect_next": reconnect_next(request, panel, action),
    }
    return respond(
        request,
        f"{action}-form",
        panel.as_dict(request, form=form, **context),
        status=error_status(error),
    )


# --- views ---------------------------------------------------------------------------------


@login_required
@require_GET
def panel_view(request: HtmxHttpRequest, issue_id: int, plugin: Plugin) -> HttpResponse:
    panel = PanelContext.load(request, plugin, issue_id)
    context = panel.as_dict(request, tasks=list(plugin.linked_tasks(panel.issue)))
    draft = kept_draft(request, panel) if panel.state == PanelState.READY else ""
    if draft and not request.htmx:
        # Without JavaScript the panel cannot reopen the kept form in place: go to its page.
        return redirect(context["urls"][draft])
    if draft:
        context["reopen"] = context["urls"][draft]
    if request.GET.get("after") == "status":
        context["notice"] = resolution_notice(panel, context["tasks"])
    return respond(request, "panel", context)


def resolution_notice(panel: PanelContext, tasks: list[Any]) -> str:
    """Said once the issue's status changed: whether the linked tasks followed it (resolution
    sync on). Read from the stored tasks, so a sync still queued says nothing yet."""
    if not panel.options.get("sync_resolution") or not tasks:
        return ""
    if panel.issue.status not in ("resolved", "unresolved"):
        return ""
    completed = panel.issue.status == "resolved"
    if any(task.completed != completed for task in tasks):
        return ""
    what = "marked completed" if completed else "reopened"
    return f"{panel.plugin.title} was updated: the linked tasks were {what}."


@login_required
@require_http_methods(["GET", "POST"])
def create_view(request: HtmxHttpRequest, issue_id: int, plugin: Plugin) -> HttpResponse:
    panel, form, answer = open_action(
        request,
        plugin,
        issue_id,
        "create",
        lambda panel: plugin.create_initial(panel.issue, request.user, panel.options),
    )
    if answer is not None:
        return answer
    data = dict(form.cleaned_data)
    try:
        plugin.resolve_typed_choices(panel.acting_identity, panel.options, form, data)
        mapping, created = plugin.create(
            issue=panel.issue,
            user=request.user,
            identity=panel.acting_identity,
            options=panel.options,
            data=data,
            idempotency_key=data.get("idempotency_key", ""),
        )
    except InvalidInput as error:  # e.g. a typed project or assignee matched nothing
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
    except ApiError as error:
        return failure_response(request, panel, "create", form, error)
    verb = "Created" if created else "Already created"
    return done(request, panel, f"{verb} {plugin.title} task “{mapping.title}”.")


@login_required
@require_http_methods(["GET", "POST"])
def link_view(request: HtmxHttpRequest, issue_id: int, plugin: Plugin) -> HttpResponse:
    # The comment defaults to the issue's link as Sentry's plugin posts it.
    panel, form, answer = open_action(
        request,
        plugin,
        issue_id,
        "link",
        lambda panel: {"comment": f"{panel.issue.absolute_url()}?referrer={plugin.slug}_plugin"},
    )
    if answer is not None:
        return answer
    try:
        mapping = plugin.link(
            issue=panel.issue,
            user=request.user,
            identity=panel.acting_identity,
            external_id=form.cleaned_data["issue_id"],
            comment=form.cleaned_data["comment"],
        )
    except AlreadyLinked:
        form.add_error("issue_id", "This task is already linked to this issue.")
        return respond(request, "link-form", panel.as_dict(request, form=form), status=400)
    except ApiError as error:
        return failure_response(request, panel, "link", form, error)
    commented = " and commented on it" if form.cleaned_data["comment"] else ""
    return done(request, panel, f"Linked {plugin.title} task “{mapping.title}”{commented}.")


@login_required
@require_POST
def unlink_view(request: HtmxHttpRequest, issue_id: int, plugin: Plugin) -> HttpResponse:
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


def done(
    request: HtmxHttpRequest, panel: PanelContext, message: str, level: str = "success"
) -> HttpResponse:
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
        retarget(response, f"#panel-{panel.plugin.slug}")
        reswap(response, "innerHTML")
        return trigger_client_event(response, "activity-changed")
    getattr(messages, level)(request, message)
    # Land on the panel, where the task (or its absence) shows: the issue page lists the
    # linked tasks there even without JavaScript.
    return redirect(f"{panel.issue.get_absolute_url()}#panel-{panel.plugin.slug}")


@login_required
@require_GET
def autocomplete_view(request: HtmxHttpRequest, issue_id: int, plugin: Plugin) -> HttpResponse:
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
    return autocomplete_response(request, plugin, panel.acting_identity, panel.options, field_name)


def autocomplete_response(
    request: HtmxHttpRequest,
    plugin: IssueTrackerPlugin,
    identity: UserSocialAuth,
    options: dict[str, Any],
    field_name: str,
) -> HttpResponse:
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
        except ApiError as error:
            message = plugin.message_from_error(error)
            return autocomplete_error(request, field_name, message, error_status(error))
    if request.htmx:
        return render(
            request,
            f"{TEMPLATE}#options",
            {"results": labelled(plugin, field_name, results), "field": field_name, "query": query},
        )
    return JsonResponse({field_name: results})


def autocomplete_error(
    request: HtmxHttpRequest, field_name: str, message: str, status: int
) -> HttpResponse:
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
def tasks_view(request: HtmxHttpRequest, issue_id: int, plugin: Plugin) -> HttpResponse:
    """The linked tasks with their status read from the tracker (status sync)."""
    panel = PanelContext.load(request, plugin, issue_id)
    tasks = list(plugin.linked_tasks(panel.issue))
    error = ""
    if panel.state == PanelState.READY and tasks:
        try:
            plugin.sync_status(panel.acting_identity, tasks)
        except ApiError as exc:
            error = f"Could not refresh the tasks' status: {plugin.message_from_error(exc)}"
    if not request.htmx:
        return redirect(panel.issue)
    # Out-of-band swaps of each task's title and badge; the list and its forms stay as they are.
    return render(
        request,
        f"{TEMPLATE}#synced-tasks",
        {"plugin": plugin, "tasks": tasks, "sync_error": error},
    )
