"""The issue page's resolution sync line: polled while pending, and its retry button."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from config.http import HtmxHttpRequest
from integrations import resolution
from integrations.models import ResolutionSync
from integrations.templatetags.automation import resolution_syncs
from tracker.access import get_issue_for_user


def fragment(request: HtmxHttpRequest, issue_id: int) -> HttpResponse:
    issue = get_issue_for_user(request, issue_id)
    if not request.htmx:
        return redirect(issue)
    context = resolution_syncs({"csrf_token": get_token(request)}, issue)
    html = render_to_string("integrations/rules/sync_status.html", context, request=request)
    response = HttpResponse(html)
    if request.method == "GET" and not any(s.state == "pending" for s, _ in context["syncs"]):
        # Only a pending line polls: it just ended, so the panel reloads to show the tasks.
        trigger_client_event(response, "tasks-synced")
    return response


@login_required
@require_GET
def sync_status(request: HtmxHttpRequest, issue_id: int) -> HttpResponse:
    return fragment(request, issue_id)


@login_required
@require_POST
def sync_retry(request: HtmxHttpRequest, issue_id: int) -> HttpResponse:
    issue = get_issue_for_user(request, issue_id)
    sync = get_object_or_404(
        ResolutionSync, issue=issue, provider=request.POST.get("provider", ""), state="failed"
    )
    plugin = resolution.plugin_for(sync.provider)
    if plugin is not None:
        resolution.queue(issue, plugin, request.user, sync.completed)
    return fragment(request, issue_id)
