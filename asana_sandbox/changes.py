"""Changes to tasks, made the same way by the API, by `/_sandbox/act` and by the task page,
each one firing the compact events Asana's webhooks deliver.

An event is what Asana documents (https://developers.asana.com/reference/events):
`{user, created_at, action, resource {gid, resource_type, resource_subtype}, parent, change}`;
`change` only when `action` is `changed`, and its `new_value` only for fields whose value is a
reference or a date (assignee, due_on): a change of `completed`, `name` or `notes` says only
that the field changed, so a receiver reads the task.
"""

from __future__ import annotations

from typing import Any

from . import webhooks
from .state import SandboxState, Section, Story, Task, iso


def named(obj: Any) -> dict[str, Any]:
    """A resource as events name it."""
    out = {"gid": obj.gid, "resource_type": obj.resource_type}
    if isinstance(obj, Task):
        out["resource_subtype"] = "default_task"
    elif isinstance(obj, Story):
        out["resource_subtype"] = "comment_added"
    return out


def _event(
    state: SandboxState,
    actor: str,
    resource: Any,
    action: str,
    *,
    parent: Any = None,
    change: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "user": {"gid": actor, "resource_type": "user"},
        "created_at": iso(state.now()),
        "action": action,
        "resource": named(resource),
        "parent": named(parent) if parent is not None else None,
    }
    if change is not None:
        event["change"] = change
    return event


def _task_scopes(state: SandboxState, task: Task, parent: Any = None) -> set[str]:
    """The resources whose webhooks see an event about this task: the task, its projects, and
    the project or section it was added to or removed from."""
    scopes = {task.gid, *task.projects}
    if isinstance(parent, Section):
        scopes |= {parent.gid, parent.project}
    elif parent is not None:
        scopes.add(parent.gid)
    return scopes


def _changed(state: SandboxState, actor: str, task: Task, field: str, **new: Any) -> Any:
    change: dict[str, Any] = {"field": field, "action": "changed"}
    if "new_value" in new:
        change["new_value"] = new["new_value"]
    return _event(state, actor, task, "changed", change=change), _task_scopes(state, task)


def update_task(state: SandboxState, task: Task, actor: str, values: dict[str, Any]) -> None:
    """Apply validated values (name, notes as (plain, html), completed, assignee, due_on) and
    fire one `changed` event per field whose value really changed, as Asana does."""
    now = state.now()
    events = []
    if "name" in values and values["name"] != task.name:
        task.name = values["name"]
        events.append(_changed(state, actor, task, "name"))
    if "notes" in values and values["notes"] != (task.notes, task.html_notes):
        task.notes, task.html_notes = values["notes"]
        events.append(_changed(state, actor, task, "notes"))
    if "completed" in values and values["completed"] != task.completed:
        task.completed = values["completed"]
        task.completed_at = now if task.completed else None
        events.append(_changed(state, actor, task, "completed"))
    if "assignee" in values and values["assignee"] != task.assignee:
        task.assignee = values["assignee"]
        if task.assignee and task.assignee not in task.followers:
            task.followers.append(task.assignee)
        user = {"gid": task.assignee, "resource_type": "user"} if task.assignee else None
        events.append(_changed(state, actor, task, "assignee", new_value=user))
    if "due_on" in values and values["due_on"] != task.due_on:
        task.due_on = values["due_on"]
        events.append(_changed(state, actor, task, "due_on", new_value=task.due_on))
    task.modified_at = now
    webhooks.emit(state, events)


def task_created(state: SandboxState, task: Task, actor: str) -> None:
    """A new task lands in the first section of each of its projects: `added` to both."""
    events = []
    for project_gid in task.projects:
        sections = state.sections_of(project_gid)
        # The section the request chose (memberships), else the project's first.
        chosen = [s for s in sections if s.gid == task.sections.get(project_gid)] or sections
        if chosen:
            task.sections[project_gid] = chosen[0].gid
        project = state.projects[project_gid]
        events.append(
            (_event(state, actor, task, "added", parent=project), {task.gid, project.gid})
        )
        if chosen:
            event = _event(state, actor, task, "added", parent=chosen[0])
            events.append((event, _task_scopes(state, task, chosen[0])))
    webhooks.emit(state, events)


def add_comment(
    state: SandboxState,
    task: Task,
    actor: str,
    text: str,
    html_text: str,
    *,
    is_pinned: bool = False,
) -> Story:
    story = state.add(
        Story(
            gid=state.new_gid(),
            task=task.gid,
            created_by=actor,
            created_at=state.now(),
            text=text,
            html_text=html_text,
            is_pinned=is_pinned,
        )
    )
    task.modified_at = story.created_at  # Asana: "adding stories" modifies the task
    event = _event(state, actor, story, "added", parent=task)
    webhooks.emit(state, [(event, {story.gid, task.gid, *task.projects})])
    return story


def move_task(
    state: SandboxState, task: Task, actor: str, project: str, section: str | None
) -> None:
    """Into `project` (out of every other project) and into `section` of it (default: its
    first section): `removed` from where it was, `added` where it goes."""
    sections = state.sections_of(project)
    target = state.sections.get(section) if section else (sections[0] if sections else None)
    events = []
    if project not in task.projects:
        for old in list(task.projects):
            old_section = state.sections.get(task.sections.get(old, ""))
            for parent in filter(None, (old_section, state.projects[old])):
                events.append(
                    (
                        _event(state, actor, task, "removed", parent=parent),
                        _task_scopes(state, task, parent),
                    )
                )
        task.projects = [project]
        task.sections = {}
        parent = state.projects[project]
        events.append(
            (_event(state, actor, task, "added", parent=parent), _task_scopes(state, task))
        )
    elif target is not None and task.sections.get(project) != target.gid:
        old_section = state.sections.get(task.sections.get(project, ""))
        if old_section is not None:
            events.append(
                (
                    _event(state, actor, task, "removed", parent=old_section),
                    _task_scopes(state, task, old_section),
                )
            )
    else:
        return
    if target is not None:
        task.sections[project] = target.gid
        events.append(
            (_event(state, actor, task, "added", parent=target), _task_scopes(state, task, target))
        )
    task.workspace = state.projects[project].workspace
    task.modified_at = state.now()
    webhooks.emit(state, events)
