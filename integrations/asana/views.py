"""Asana's per-project settings: the workspace tasks go to, and optional defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from config.http import HtmxHttpRequest
from integrations import identities
from integrations.asana import webhooks
from integrations.asana.forms import SettingsForm
from integrations.exceptions import ApiError, InvalidInput
from integrations.plugin_views import autocomplete_error, autocomplete_response
from tracker.access import get_project_for_owner

if TYPE_CHECKING:
    from integrations.asana.plugin import AsanaPlugin

# The Asana plugin's own pages get the plugin from their URL (as the panel's views do), so
# this module never imports plugin.py, which imports it.


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HtmxHttpRequest, project_id: int, plugin: AsanaPlugin) -> HttpResponse:
    project = get_project_for_owner(request, project_id)
    options = plugin.get_options(project)
    identity = plugin.get_identity(request.user)
    context = {
        "project": project,
        "plugin": plugin,
        "options": options,
        "identity": identity,
        "webhook_refusals": webhooks.refusals_for_project(project.pk),
        "urls": {
            "autocomplete": reverse("plugin_asana_settings_autocomplete", args=[project.pk]),
            "self": request.path,
        },
    }
    if identity is None or identities.needs_reconnect(identity):
        return render(request, "integrations/asana/settings.html", context)

    workspaces: list[dict[str, str]] | None = None
    error = ""
    try:
        workspaces = plugin.get_workspaces(identity)
    except ApiError as exc:
        error = f"Could not load your Asana workspaces: {plugin.message_from_error(exc)}"
    current = options.get("workspace", "")
    refresh = bool(request.htmx) and request.method == "GET" and "workspace" in request.GET
    form = settings_form(request, options, workspaces, refresh)
    context.update(form=form, error=error, workspaces=workspaces or [])
    # The workspace the defaults' searches look in; the form sends it back (defaults_for).
    chosen = form["workspace"].value() or ""
    context["defaults_for"] = chosen if chosen in form.allowed_workspaces else ""
    if refresh:
        # Another workspace was chosen (htmx): its defaults, ready to search, at once.
        return render(request, "integrations/asana/settings.html#defaults", context)
    if request.method == "POST" and form.is_valid():
        new_options = {key: form.cleaned_data[key] for key in SettingsForm.base_fields}
        # Kept to name the workspace when Asana cannot be asked (panel, this page).
        new_options["workspace_name"] = form.workspace_names.get(new_options["workspace"], "")
        try:
            # Without JavaScript a name is typed instead of picked: find it in Asana.
            plugin.resolve_typed_choices(identity, new_options, form, new_options)
        except InvalidInput as exc:
            form.add_error(None, str(exc))
        except ApiError as exc:
            context["error"] = f"Could not look that up in Asana: {plugin.message_from_error(exc)}"
        else:
            plugin.save_options(project, new_options, request.user)
            messages.success(request, saved_message(project.name, current, new_options))
            return redirect(request.path)
    status = 400 if request.method == "POST" else 200
    return render(request, "integrations/asana/settings.html", context, status=status)


DEFAULTS = ("project", "assignee")


def settings_form(
    request: HtmxHttpRequest,
    options: dict[str, Any],
    workspaces: list[dict[str, str]] | None,
    refresh: bool,
) -> SettingsForm:
    """The settings form: posted, refreshed for another workspace (htmx), or as saved."""
    data = None
    if request.method == "POST":
        data = defaults_for_chosen_workspace(request.POST, options)
    elif refresh:
        data = defaults_for_chosen_workspace(request.GET, options)
    form = SettingsForm(
        data,
        workspaces=workspaces,
        current=options.get("workspace", ""),
        current_name=options.get("workspace_name", ""),
        initial={key: options.get(key, "") for key in SettingsForm.base_fields},
    )
    # Choosing another workspace swaps in that workspace's defaults (the partial `defaults`).
    form.fields["workspace"].widget.attrs.update(
        {
            "hx-get": request.path,
            "hx-trigger": "change",
            "hx-target": "#workspace-defaults",
            "hx-swap": "outerHTML",
            "hx-include": "#workspace-defaults",
        }
    )
    return form


def defaults_for_chosen_workspace(data: QueryDict, options: dict[str, Any]) -> QueryDict:
    """The settings form's data with its defaults made to belong to the chosen workspace.

    A default project or assignee is an id in one workspace; the form says which one
    (`defaults_for`: the workspace shown when the page was made, or refreshed by htmx). When
    another workspace was chosen since, a default picked in the old one is dropped, and a name
    typed but not picked is kept, to be looked up in the new one: what was typed is never lost.
    Back in the saved workspace, defaults left empty are the saved ones again."""
    data = data.copy()
    chosen = data.get("workspace", "")
    saved = options.get("workspace", "")
    # A form without `defaults_for` (an older page, an API client) chose its defaults in the
    # saved workspace, or on a first set-up in the one it sends.
    defaults_for = data.get("defaults_for", saved or chosen)
    if defaults_for != chosen:
        for name in DEFAULTS:
            label = data.get(f"{name}_label", "").strip()
            picked = data.get(f"{name}_picked", label if data.get(name) else "").strip()
            typed = label and (not data.get(name) or picked != label)
            data[name], data[f"{name}_picked"] = "", ""
            data[f"{name}_label"] = label if typed else ""
            if chosen and chosen == saved and not typed and options.get(name):
                data[name] = options[name]
                data[f"{name}_label"] = data[f"{name}_picked"] = options.get(f"{name}_label", "")
    data["defaults_for"] = chosen
    return data


def saved_message(project_name: str, previous: str, saved: dict[str, Any]) -> str:
    """Said after a save; a new workspace without defaults says they can be chosen now."""
    message = f"Asana settings saved for {project_name}."
    if saved["workspace"] != previous and not any(saved.get(name) for name in DEFAULTS):
        workspace = saved.get("workspace_name") or "the new workspace"
        message += (
            f" Tasks now go to {workspace}: you can choose its default project and assignee below."
        )
    return message


@login_required
@require_GET
def settings_autocomplete_view(
    request: HtmxHttpRequest, project_id: int, plugin: AsanaPlugin
) -> HttpResponse:
    project = get_project_for_owner(request, project_id)
    options = plugin.get_options(project)
    field_name = request.GET.get("autocomplete_field", "")
    if field_name not in ("project", "assignee"):
        return JsonResponse({"error": "Unknown autocomplete field."}, status=400)
    identity = plugin.get_identity(request.user)
    if identity is None or identities.needs_reconnect(identity):
        return autocomplete_error(request, field_name, plugin.error_auth_not_configured, 400)
    # The workspace chosen on the page (not saved yet) is searched, if it is one of the
    # person's: a first set-up picks workspace and defaults in one save.
    chosen = request.GET.get("workspace", "")
    if chosen and chosen != options.get("workspace"):
        try:
            if chosen in {w["gid"] for w in plugin.get_workspaces(identity)}:
                options = {**options, "workspace": chosen}
        except ApiError as error:
            message = plugin.message_from_error(error)
            return autocomplete_error(request, field_name, message, 502)
    if not options.get("workspace"):
        return autocomplete_error(request, field_name, "Choose a workspace first.", 400)
    return autocomplete_response(request, plugin, identity, options, field_name)
