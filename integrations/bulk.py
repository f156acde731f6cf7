"""Bulk create from the issue list: a task at a tracker for each selected issue, on the worker,
with the project's settings and defaults; issues already linked are skipped. A results page
shows progress (htmx polling) and the summary; without JavaScript, reloading it does."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from config.http import HtmxHttpRequest
from integrations import identities
from integrations.base import IssueTrackerPlugin
from integrations.exceptions import ApiError, ApiRateLimited
from integrations.resolution import plugin_for
from integrations.rules import claims, limits
from integrations.rules.models import BulkRun
from tracker.links import http_url
from tracker.models import Issue

MAX_ISSUES = 500
# A 429 is waited out in place this many times per issue before the issue counts as failed.
MAX_RATE_LIMITED = 10
# Waits for a turn under Tasklink's own limiter (other runs and rules share the person's
# quota) make no call, so they are not 429s; they end the issue only past this long.
MAX_TURN_WAIT_SECONDS = 15 * 60
TEMPLATE = "integrations/bulk.html"


@login_required
@require_POST
def bulk_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    plugin = plugin_for(slug)
    if plugin is None:
        return redirect("issue_list")
    ids = [int(value) for value in request.POST.getlist("issue") if value.isdigit()][:MAX_ISSUES]
    issues = list(
        Issue.objects.for_user(request.user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    if not issues:
        messages.error(request, f"Select the issues to create {plugin.title} tasks for.")
        return redirect("issue_list")
    identity = plugin.get_identity(request.user)
    if identity is None or identities.needs_reconnect(identity):
        messages.error(request, plugin.error_auth_not_configured)
        return redirect("issue_list")
    run = BulkRun.objects.create(
        user=request.user,  # type: ignore[misc]  # login_required: a User
        provider=plugin.slug,
        issue_ids=sorted(issues),
    )
    from integrations.rules import tasks

    transaction.on_commit(lambda: tasks.bulk_create.delay(run.pk))
    return redirect("bulk_run", run.pk)


@login_required
@require_GET
def bulk_run(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(BulkRun, pk=run_id, user=request.user)
    plugin = plugin_for(run.provider)
    context = {
        "run": run,
        "title": plugin.title if plugin else run.provider,
        **{outcome: run.count(outcome) for outcome in ("created", "skipped", "failed")},
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#progress", context)
    return render(request, TEMPLATE, context)


def run_bulk(run: BulkRun) -> None:
    """On the worker: one task per issue, the outcome recorded as each one ends."""
    plugin = plugin_for(run.provider)
    identity = plugin.get_identity(run.user) if plugin else None
    done = {result["issue"] for result in run.results}  # a redelivered run resumes
    issues = Issue.objects.filter(pk__in=run.issue_ids).select_related("project").order_by("pk")
    for issue in issues:
        if issue.pk in done:
            continue
        if plugin is None or identity is None or identities.needs_reconnect(identity):
            outcome = ("failed", "Your identity at the tracker is not connected any more.", "")
        else:
            outcome = create_one(plugin, identity, run, issue)
        run.results.append(
            {
                "issue": issue.pk,
                "short_id": issue.short_id,
                "title": issue.title[:200],
                "outcome": outcome[0],
                "detail": outcome[1],
                "url": outcome[2],
            }
        )
        run.save(update_fields=["results"])
    run.state = BulkRun.State.DONE
    run.save(update_fields=["state"])


def create_one(
    plugin: IssueTrackerPlugin, identity: Any, run: BulkRun, issue: Issue
) -> tuple[str, str, str]:
    """(outcome, detail, task url) for one issue. The run takes the issue's claim as rules do,
    so a rule firing or another run on the same issue at the same moment makes no second
    task."""
    skip = claims.take(issue, plugin, run)
    if skip:
        return "skipped", skip, ""
    options = plugin.get_options(issue.project)
    if plugin.is_configured(options):
        outcome = create_claimed(plugin, identity, run, issue, options)
    else:
        outcome = ("failed", f"{plugin.title} is not set up for {issue.project.name}.", "")
    if outcome[0] == "failed":
        claims.release(run, issue)
    return outcome


def create_claimed(
    plugin: IssueTrackerPlugin, identity: Any, run: BulkRun, issue: Issue, options: dict[str, Any]
) -> tuple[str, str, str]:
    data = plugin.rule_task_data(issue, options)
    rate_limited = 0
    deadline = time.monotonic() + MAX_TURN_WAIT_SECONDS
    while rate_limited < MAX_RATE_LIMITED:
        wait = limits.take_call(identity)
        if wait:
            if time.monotonic() + wait > deadline:
                reason = f"Too many tasks were being sent to {plugin.title} at once"
                return "failed", f"{reason}; try this one again later.", ""
            time.sleep(wait)
            continue
        try:
            mapping = claims.create_task(plugin, run, issue, run.user, identity, options, data)
        except ApiRateLimited as exc:
            rate_limited += 1
            limits.throttled(identity, exc.retry_after or 1)
            continue  # the limiter waits it out
        except ApiError as exc:
            return "failed", plugin.message_from_error(exc), ""
        return "created", mapping.title, http_url(mapping.url)
    return "failed", f"{plugin.title} kept asking to slow down; try this one again later.", ""
