"""Acting as a person in Asana: what `/_sandbox/act` and the task page's buttons do.

    {"as": "<user gid or email>", "action": "complete" | "reopen" | "assign" | "comment" | "move",
     "task": "<gid>", "assignee": "<gid, email or null>", "text": "…",
     "project": "<gid>", "section": "<gid>"}

Each action changes the task as the API would and fires the same webhook events (changes.py),
attributed to that person: tests and the demo do what people do in Asana's own app.
"""

from __future__ import annotations

from html import escape
from typing import Any

from . import changes
from .state import SandboxState, Story, Task, User

ACTIONS = ("complete", "reopen", "assign", "comment", "move")


class ActError(ValueError):
    """The request makes no sense; the message says why."""


def _person(state: SandboxState, ref: Any, task: Task, what: str) -> User:
    user = state.find_user(ref) if isinstance(ref, str) and ref else None
    if user is None:
        raise ActError(f"{what}: no sandbox user {ref!r}.")
    if task.workspace not in user.workspaces:
        raise ActError(f"{what}: {user.name} is not in the task's workspace.")
    return user


def act(state: SandboxState, body: dict[str, Any]) -> tuple[Task, Story | None]:
    """Do it (the caller holds state.lock); the task, and the story a comment made."""
    action = body.get("action")
    if action not in ACTIONS:
        raise ActError(f"action must be one of {', '.join(ACTIONS)}.")
    task = state.tasks.get(str(body.get("task") or ""))
    if task is None:
        raise ActError(f"task: no task {body.get('task')!r}.")
    actor = _person(state, body.get("as"), task, "as").gid
    if action in ("complete", "reopen"):
        changes.update_task(state, task, actor, {"completed": action == "complete"})
    elif action == "assign":
        ref = body.get("assignee")
        assignee = _person(state, ref, task, "assignee").gid if ref else None
        changes.update_task(state, task, actor, {"assignee": assignee})
    elif action == "comment":
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ActError("text: a comment needs some text.")
        html = f"<body>{escape(text, quote=False)}</body>"
        return task, changes.add_comment(state, task, actor, text, html)
    else:
        _move(state, task, actor, body.get("project"), body.get("section"))
    return task, None


def _move(state: SandboxState, task: Task, actor: str, project: Any, section: Any) -> None:
    if section is not None:
        found = state.sections.get(str(section))
        if found is None:
            raise ActError(f"section: no section {section!r}.")
        project = project or found.project
        if found.project != project:
            raise ActError("section: it is not a section of that project.")
    target = state.projects.get(str(project or ""))
    if target is None:
        raise ActError(f"project: no project {project!r}.")
    if target.workspace != task.workspace:
        raise ActError("project: it is in another workspace.")
    changes.move_task(state, task, actor, target.gid, str(section) if section else None)
