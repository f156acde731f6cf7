"""The issue page's live updates: while the page is open, htmx asks every few seconds whether
the issue changed (status, activity, a linked task's state). Unchanged costs one indexed query
and answers 204; changed answers the status bar (the activity out of band) and asks the
integration panels to reload, so a task completed in the tracker shows without a reload."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.http import trigger_client_event

from config.http import HtmxHttpRequest
from tracker.access import get_issue_for_user
from tracker.issue_page import live_version
from tracker.views import activity_context


@login_required
@require_GET
def issue_live(request: HtmxHttpRequest, issue_id: int) -> HttpResponse:
    version = live_version(request.user, issue_id)
    if version is None:
        raise Http404("No such issue.")
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    issue = get_issue_for_user(request, issue_id)
    context = {"issue": issue, "live_version": version, **activity_context(request, issue)}
    response = render(request, "tracker/issue_live_update.html", context)
    response["Cache-Control"] = "no-store"
    return trigger_client_event(response, "tasks-synced")
