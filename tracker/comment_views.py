"""Comments people write on an issue: an Activity of kind `comment`, announced with
`issue_commented` so integrations may post it to linked tasks (the tracker names none); where
that failed, `comment_post_retried` when someone asks to try again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from config.http import HtmxHttpRequest
from tracker.access import get_issue_for_user
from tracker.forms import MAX_COMMENT, CommentForm
from tracker.models import Activity, Issue
from tracker.signals import comment_post_retried, issue_commented

__all__ = ["MAX_COMMENT", "comment_retry", "issue_comment"]


@login_required
@require_POST
def issue_comment(request: HtmxHttpRequest, issue_id: int) -> HttpResponse:
    issue = get_issue_for_user(request, issue_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        # The form again with the message and what was typed; without JS on a page of its own.
        context = {"issue": issue, "comment_form": form}
        template = "tracker/comment_form.html" if request.htmx else "tracker/comment_page.html"
        return render(request, template, context, status=400)
    activity = Activity.objects.create(
        issue=issue,
        user=request.user,
        kind=Activity.Kind.COMMENT,
        data={"text": form.cleaned_data["text"]},
    )
    issue_commented.send(Issue, issue=issue, user=request.user, activity=activity)
    if request.htmx:
        response = render(request, "tracker/comment_form.html", {"issue": issue})
        return trigger_client_event(response, "activity-changed")
    messages.success(request, "Comment added.")
    return redirect(f"{issue.get_absolute_url()}#activity")


@login_required
@require_POST
def comment_retry(request: HtmxHttpRequest, issue_id: int, activity_id: int) -> HttpResponse:
    """Post a comment again where posting it to a linked task failed (the activity says why)."""
    issue = get_issue_for_user(request, issue_id)
    activity = get_object_or_404(Activity, pk=activity_id, issue=issue, kind=Activity.Kind.COMMENT)
    if activity.data.get("post_failed"):
        comment_post_retried.send(Issue, issue=issue, user=request.user, activity=activity)
    if request.htmx:
        # The form swaps nothing: the activity reloads itself, showing how the post went.
        return trigger_client_event(HttpResponse(), "activity-changed")
    messages.success(request, "Posting the comment again.")
    return redirect(f"{issue.get_absolute_url()}#activity")
