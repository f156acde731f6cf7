"""The identities page: each tracker's connected identity, connect, reconnect, disconnect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from integrations import identities, registry
from integrations.base import IssueTrackerPlugin


def render_identities(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    connections = []
    for plugin in registry.plugins():
        identity = plugin.get_identity(request.user)
        health = identities.token_status(identity, plugin.title) if identity else None
        connections.append((plugin, identity, health))
    context = {"connections": connections, "error": error}
    return render(request, "integrations/identities.html", context, status=status)


@login_required
def identity_list(request: HttpRequest) -> HttpResponse:
    return render_identities(request)


def plugin_to_disconnect(request: HttpRequest) -> IssueTrackerPlugin:
    """The plugin named by `provider` (the first one when the request names none)."""
    name = request.POST.get("provider") or request.GET.get("provider")
    plugin = registry.for_auth_provider(name) if name else registry.plugins()[0]
    if plugin is None:
        raise Http404("No such tracker.")
    return plugin


@login_required
@require_http_methods(["GET", "POST"])
def identity_disconnect(request: HttpRequest) -> HttpResponse:
    plugin = plugin_to_disconnect(request)
    tracker = plugin.title
    identity = plugin.get_identity(request.user)
    if identity is None:
        messages.info(request, f"No {tracker} identity is connected.")
        return redirect("identities")
    if request.method == "GET":
        context = {"identity": identity, "plugin": plugin}
        return render(request, "integrations/disconnect_confirm.html", context)
    name = identity.extra_data.get("name") or identity.uid
    if identities.disconnect(request, identity):
        messages.success(request, f"Disconnected {name}. {tracker} revoked Tasklink's access.")
    else:
        messages.warning(
            request,
            f"Disconnected {name} here, but {tracker} did not confirm the revocation. You can "
            f"remove Tasklink under My Settings → Apps in {tracker}.",
        )
    return redirect("identities")
