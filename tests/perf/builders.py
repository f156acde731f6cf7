"""Issues with a history of a chosen size: for the query-count tests and benchmarks/queries.py."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from integrations.models import ExternalIssue
from integrations.task_links import refresh_has_task
from tracker.models import Activity, Event, Issue, Membership, Organization, Project

FRAMES = [
    {
        "filename": "django/core/handlers/base.py",
        "function": "_get_response",
        "lineno": 197,
        "context_line": "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
        "in_app": False,
    },
    {
        "filename": "billing/views.py",
        "function": "preview_invoice",
        "lineno": 54,
        "context_line": "totals = compute_totals(invoice, coupon=request.GET.get('coupon'))",
        "in_app": True,
    },
    {
        "filename": "billing/invoices.py",
        "function": "compute_discount",
        "lineno": 87,
        "context_line": "return coupon.amount_off / invoice_line_count",
        "in_app": True,
    },
]


def make_people(organization: Organization, count: int, prefix: str = "perf") -> list:
    """`count` members of the organization, each a distinct user (so N+1 lookups would show)."""
    user_model = get_user_model()
    people = user_model.objects.bulk_create(
        user_model(
            username=f"{prefix}-{organization.pk}-{n}",
            email=f"{prefix}{n}@example.com",
            first_name=f"Person{n}",
        )
        for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(organization=organization, user=person) for person in people
    )
    return people


def make_team(slug: str, name: str, short_name: str) -> tuple[Project, object, list]:
    """A benchmark's own organization: (its project, its owner, ten other members)."""
    organization = Organization.objects.create(name=name, slug=slug)
    project = Project.objects.create(
        organization=organization, name=name, slug=name.lower(), short_name=short_name
    )
    owner = get_user_model().objects.create(username=f"{slug}-owner", email=f"{slug}@example.com")
    Membership.objects.create(organization=organization, user=owner, role="owner")
    return project, owner, make_people(organization, 10, prefix=slug)


def make_issue(
    project: Project,
    *,
    events: int = 1,
    tasks: int = 0,
    activities: int = 0,
    people: list | None = None,
    title: str = "ZeroDivisionError: division by zero",
) -> Issue:
    """An issue with `events` events, `tasks` linked Asana tasks and `activities` entries,
    the tasks and activities spread over `people`."""
    now = timezone.now()
    issue = Issue.objects.create(
        project=project,
        title=title,
        culprit="billing.invoices.compute_discount",
        event_count=events,
        first_seen=now - timedelta(days=3),
        last_seen=now,
    )
    people = people or [None]
    Event.objects.bulk_create(
        Event(
            issue=issue,
            event_id=f"{issue.pk:08x}{n:024x}",
            timestamp=now - timedelta(minutes=n),
            message="division by zero",
            exception_type="ZeroDivisionError",
            exception_value="division by zero",
            frames=FRAMES,
            tags={"environment": "production", "release": f"1.{n % 7}.0"},
            request={"method": "GET", "url": "https://api.acme.test/v1/invoices/8812/preview"},
        )
        for n in range(events)
    )
    ExternalIssue.objects.bulk_create(
        ExternalIssue(
            issue=issue,
            provider="asana",
            external_id=str(1300000000000000 + issue.pk * 1000 + n),
            title=f"Task {n} for {issue.short_id}",
            url=f"https://app.asana.com/0/0/{1300000000000000 + n}",
            origin=ExternalIssue.Origin.CREATED if n % 2 else ExternalIssue.Origin.LINKED,
            created_by=people[n % len(people)],
            date_added=now - timedelta(minutes=n),
        )
        for n in range(tasks)
    )
    refresh_has_task([issue.pk])  # bulk_create sends no signals
    kinds = [Activity.Kind.COMMENT, Activity.Kind.RESOLVED, Activity.Kind.LINK_ISSUE]
    Activity.objects.bulk_create(
        Activity(
            issue=issue,
            user=people[n % len(people)],
            kind=kinds[n % len(kinds)],
            data=(
                {"provider": "asana", "provider_title": "Asana", "title": f"Task {n}", "url": ""}
                if kinds[n % len(kinds)] == Activity.Kind.LINK_ISSUE
                else {}
            ),
            date_added=now - timedelta(minutes=n),
        )
        for n in range(activities)
    )
    return issue


def make_issues(project: Project, count: int, *, linked_every: int = 3) -> list[Issue]:
    """`count` issues of one project, one in `linked_every` with a linked task."""
    now = timezone.now()
    start = Project.objects.next_issue_number(project.pk)
    Project.objects.filter(pk=project.pk).update(issue_counter=start + count)
    issues = Issue.objects.bulk_create(
        Issue(
            project=project,
            number=start + n,
            title=f"KeyError: 'field_{n}'",
            culprit=f"app.views.handler_{n}",
            last_seen=now - timedelta(minutes=n),
            event_count=n + 1,
        )
        for n in range(count)
    )
    ExternalIssue.objects.bulk_create(
        ExternalIssue(
            issue=issue,
            provider="asana",
            external_id=str(1400000000000000 + issue.pk),
            title=f"Task for {issue.pk}",
        )
        for issue in issues[::linked_every]
    )
    refresh_has_task(issue.pk for issue in issues[::linked_every])  # bulk_create sends no signals
    return issues
