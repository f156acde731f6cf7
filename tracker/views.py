from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from config.http import HtmxHttpRequest
from integrations import registry
from tracker import activity_display, event_display, issue_page, onboarding
from tracker.access import get_issue_for_user
from tracker.forms import IssueFilterForm, IssueStatusForm
from tracker.models import Activity, Issue, Project
from tracker.paginator import KeysetPage, KeysetPaginator
from tracker.signals import issue_status_changed

ISSUES_PER_PAGE = 25
SEARCH_EXACT_UP_TO = 200
# The issue page renders the latest few entries; "Show all activity" loads the rest (up to
# ACTIVITY_ALL). Rendering 50 entries was most of the page's time (see README, Performance).
ACTIVITY_UP_FRONT = issue_page.ENTRIES_UP_FRONT
ACTIVITY_ALL = 50


@login_required
def issue_list(request: HtmxHttpRequest) -> HttpResponse:
    projects = list(Project.objects.for_user(request.user).select_related("organization"))
    trackers = registry.trackers_title()
    form = IssueFilterForm(request.GET, projects=projects, trackers=trackers)
    filters = form.filters()

    issues = Issue.objects.filter(project__in=projects).select_related("project")
    issues = issues.search(filters["query"])
    if filters["project"]:
        issues = issues.filter(project_id=filters["project"])
    if filters["status"] != "all":
        issues = issues.filter(status=filters["status"])
    if filters["linked"] == "linked":
        issues = issues.filter(has_task=True)
    elif filters["linked"] == "unlinked":
        issues = issues.filter(has_task=False)

    # Counting matches walks the trigram index's hits: a search counts exactly only its first
    # SEARCH_EXACT_UP_TO (31 of a 65 ms page at 1,000,000 issues with 1,000), then estimates.
    exact_up_to = SEARCH_EXACT_UP_TO if filters["query"].strip() else None
    page = KeysetPaginator(issues, ISSUES_PER_PAGE, exact_up_to=exact_up_to).page(request.GET)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "projects": projects,
        "trackers": trackers,
        **page_links(request, page),
    }
    # htmx's history restore asks for the whole page, never the fragment.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "tracker/issue_list.html#results", context)
    context["checklist"] = onboarding.checklist_for(request)
    return render(request, "tracker/issue_list.html", context)


def page_links(request: HtmxHttpRequest, page: KeysetPage) -> dict[str, str]:
    """The "Newer" and "Older" links: the same filters, the cursor and the page's label."""
    links = {}
    for name, key, cursor, number in (
        ("newer_url", "after", page.newer, page.number - 1),
        ("older_url", "before", page.older, page.number + 1),
    ):
        if cursor:
            query = request.GET.copy()
            for position in ("page", "before", "after"):
                query.pop(position, None)
            if number > 1:
                # Newer from page 2 is the top of the list, whatever arrived since: no cursor.
                query.update({key: str(cursor), "page": str(number)})
            links[name] = "?" + query.urlencode()
    return links


@login_required
def issue_detail(request: HtmxHttpRequest, issue_id: int) -> HttpResponse:
    if request.htmx and request.GET.get("fragment") == "activity":
        # Reloaded after a plugin action changed the issue's activity, or "Show all activity".
        issue = get_issue_for_user(request, issue_id)
        context = {"issue": issue, **activity_context(request, issue)}
        return render(request, "tracker/activity.html", context)
    shown_all = request.GET.get("activity") == "all"
    limit = ACTIVITY_ALL if shown_all else ACTIVITY_UP_FRONT
    # The access check, with the version of everything the page shows (tracker/issue_page.py).
    wanted = wanted_event(request.GET.get("event", ""))
    page = issue_page.page_issue(request.user, issue_id, limit + 1, wanted)
    if page is None:
        raise Http404("No such issue.")
    if wanted and page.event is None:
        raise Http404("No such event for this issue.")
    event = page.event

    def body_context() -> dict:
        issue = page.issue()
        return {
            "issue": issue,
            "event": event,
            "event_body": event_display.body_html(event, issue) if event else "",
            "plugins": [plugin.slug for plugin in registry.plugins()],
            "live_version": page.live_version,
            **activity_context(request, issue),
        }

    variant = "all-activity" if shown_all else ""
    # One masked token for the whole page: the frame's (hx-headers, log out) and the body's.
    token = get_token(request)
    body = issue_page.body(token, page, event, variant, body_context)
    context = {"page": page, "body": body, "csrf_token": token}
    return render(request, "tracker/issue_detail.html", context)


def wanted_event(value: str) -> str:
    """The event_id asked for (`?event=`), as Tasklink stores them; Http404 when it cannot be
    one. SDKs write event ids as UUIDs too; Tasklink stores them as 32 hex digits."""
    wanted = value.strip().replace("-", "").lower()
    if len(wanted) > 32 or "\x00" in wanted:
        raise Http404("No such event for this issue.")
    return wanted


def activity_context(request: HtmxHttpRequest, issue: Issue) -> dict:
    """The activity entries to render: the latest few, or all of them when asked."""
    shown_all = request.GET.get("activity") == "all"
    limit = ACTIVITY_ALL if shown_all else ACTIVITY_UP_FRONT
    # One entry more than shown tells whether there is more, without a COUNT.
    activities = list(issue.activities.select_related("user")[: limit + 1])
    return {
        "activity_lines": activity_display.lines(activities[:limit]),
        "more_activity": not shown_all and len(activities) > limit,
        "all_activity": shown_all,
    }


STATUS_ACTIVITY = {
    Issue.Status.RESOLVED: Activity.Kind.RESOLVED,
    Issue.Status.IGNORED: Activity.Kind.IGNORED,
    Issue.Status.UNRESOLVED: Activity.Kind.REOPENED,
}


@login_required
@require_POST
def issue_set_status(request: HtmxHttpRequest, issue_id: int) -> HttpResponse:
    form = IssueStatusForm(request.POST)
    issue = get_issue_for_user(request, issue_id)
    if not form.is_valid():
        messages.error(request, "That status does not exist.")
        return redirect(issue)
    status = form.cleaned_data["status"]
    if status != issue.status:
        issue.status = status
        issue.save(update_fields=["status"])
        Activity.objects.create(issue=issue, user=request.user, kind=STATUS_ACTIVITY[status])
        # Integrations may follow the change (complete linked tasks) and report what failed.
        answers = issue_status_changed.send(
            Issue, issue=issue, user=request.user, status=status, origin=""
        )
        for _receiver, problems in answers:
            for problem in problems or []:
                messages.warning(request, problem)
    if request.htmx:
        context = {"issue": issue, **activity_context(request, issue)}
        response = render(request, "tracker/issue_body.html#status-and-activity", context)
        # Panels on the page (integrations) read the issue again: their tasks may have changed.
        return trigger_client_event(response, "issue-status-changed")
    messages.success(request, f"Issue marked {issue.get_status_display().lower()}.")
    return redirect(issue)
