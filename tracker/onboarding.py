"""The getting-started checklist: create a project → send a first error → then the trackers'
steps (connect, choose where tasks go). Each step is read from real state, so it ticks itself
off.

The tracker knows its own two steps. Integrations add theirs by registering a function here
(see integrations/onboarding.py): the tracker never imports integrations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.urls import reverse

from tracker.compiled import USER_MARK, compiled, fetch
from tracker.models import Issue, Project
from tracker.project_forms import SAMPLE_PROJECT_SLUG

DISMISSED = "onboarding_dismissed"
# Once every step was done the checklist is never computed again for this session.
COMPLETE = "onboarding_complete"


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    url: str
    hint: str


# Called with the person (a user model instance).
StepSource = Callable[[Any], list[Step]]
_sources: list[StepSource] = []


def register(source: StepSource) -> None:
    """Add the steps `source(user)` returns after the tracker's own, in registration order."""
    if source not in _sources:
        _sources.append(source)


def tracker_steps(user) -> list[Step]:
    own = fetch(_own_projects_sql(), user.pk, Project.objects.db)
    first = own[0][0] if own else None
    return [
        Step(
            "Create a project",
            bool(own),
            reverse("project_create"),
            "One per application you want to watch.",
        ),
        Step(
            "Send a first error",
            any(has_error for _pk, has_error in own),
            reverse("project_detail", args=[first]) if first else reverse("project_list"),
            "Put the project's DSN in sentry_sdk.init() and raise an error.",
        ),
    ]


@cache
def _own_projects_sql() -> tuple[str, tuple[Any, ...]]:
    """One query: the person's own projects (not the sample one sign-up made), and for each
    whether an error arrived. An issue exists only once an event did, and issues outlive the
    events that retention deletes. Compiled once (tracker/compiled.py): every page of a new
    person shows the checklist."""
    own = (
        Project.objects.for_user(get_user_model()(pk=USER_MARK))
        .exclude(slug=SAMPLE_PROJECT_SLUG)
        .annotate(has_error=Exists(Issue.objects.filter(project=OuterRef("pk"))))
        .order_by("date_added", "pk")
        .values_list("pk", "has_error")
    )
    return compiled(own, USER_MARK)


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return self.done_count == len(self.steps)


def checklist_for(request: HttpRequest) -> Checklist | None:
    """The checklist to show, or None once it is complete or the person dismissed it."""
    session = request.session
    if session.get(DISMISSED) or session.get(COMPLETE):
        return None
    steps = tracker_steps(request.user)
    for source in _sources:
        steps += source(request.user)
    checklist = Checklist(steps)
    if checklist.complete:
        session[COMPLETE] = True
        return None
    return checklist
