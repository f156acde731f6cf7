"""Asana's per-project settings: the workspace tasks go to, and optional defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
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
    initial = {key: options.get(key, "") for key in SettingsForm.base_fields}
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        workspaces=workspaces,
        current=current,
        current_name=options.get("workspace_name", ""),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        new_options = {key: form.cleaned_data[key] for key in SettingsForm.base_fields}
        # Kept to name the workspace when Asana cannot be asked (panel, this page).
        new_options["workspace_name"] = form.workspace_names.get(new_options["workspace"], "")
        try:
            if current and new_options["workspace"] != current:
                # Defaults belong to a workspace; a new workspace starts without them.
                new_options.update(project="", project_label="", assignee="", assignee_label="")
            else:
                # Without JavaScript a name is typed instead of picked: find it in Asana.
                plugin.resolve_typed_choices(identity, new_options, form, new_options)
        except InvalidInput as exc:
            form.add_error(None, str(exc))
        except ApiError as exc:
            error = f"Could not look that up in Asana: {plugin.message_from_error(exc)}"
        else:
            plugin.save_options(project, new_options, request.user)
            messages.success(request, f"Asana settings saved for {project.name}.")
            return redirect(request.path)
    context.update(form=form, error=error, workspaces=workspaces or [])
    status = 400 if request.method == "POST" else 200
    return render(request, "integrations/asana/settings.html", context, status=status)


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
