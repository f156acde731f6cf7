"""Building blocks of the rules tests."""

from __future__ import annotations

import uuid

from asana_sandbox import SandboxServer
from integrations.rules.models import Rule
from tracker.models import Event, Issue, Project


def make_rule(project: Project, owner, **fields) -> Rule:
    values = {"name": "New errors to Asana", "trigger": Rule.Trigger.FIRST_SEEN, "plugin": "asana"}
    values.update(fields)
    return Rule.objects.create(project=project, owner=owner, **values)


def make_issue(project: Project, title: str = "KeyError: 'user'", level: str = "error", tags=None):
    issue = Issue.objects.create(project=project, title=title, level=level, event_count=1)
    event = Event.objects.create(
        issue=issue, event_id=uuid.uuid4().hex, exception_type="KeyError", tags=tags or {}
    )
    return issue, event


def created_tasks(sandbox: SandboxServer, name: str | None = None) -> list:
    """Tasks created in the sandbox since its reset (the seed's have low gids), by name."""
    state = sandbox.state
    return [
        task
        for task in state.tasks.values()
        if task.created_at > 0
        and (name is None or task.name == name)
        and task.notes.startswith("http")
    ]


def task_posts(log: list[dict]) -> int:
    return sum(1 for e in log if e["method"] == "POST" and e["path"] == "/api/1.0/tasks")
