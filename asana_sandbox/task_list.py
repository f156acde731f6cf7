"""GET /api/1.0/tasks: the tasks of a project (or section, or of an assignee in a workspace),
optionally only those modified (or incomplete, or completed) since a moment.

Reference: https://developers.asana.com/reference/gettasks. "Modified" is what Asana documents:
any property or association of the task changed (assigning, renaming, completing, adding a
story, moving it); the sandbox's changes all set the task's modified_at.
"""

from __future__ import annotations

from datetime import datetime

from .api import Call, known, needs, paginated, router, visible_user, visible_workspace
from .state import Task
from .web import Refusal, Response

NEEDS_A_FILTER = (
    "Must specify exactly one of project, tag, section, user task list, or assignee + workspace"
)


def _moment(call: Call, name: str) -> float | None:
    """A date-time query parameter as a timestamp; `completed_since=now` is Asana's "now"."""
    raw = call.req.param(name)
    if raw is None:
        return None
    if name == "completed_since" and raw == "now":
        return call.state.now()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as error:
        raise Refusal(400, f"{name}: Not a valid date-time: {raw}") from error
    if moment.tzinfo is None:
        raise Refusal(400, f"{name}: Not a valid date-time (no time zone): {raw}")
    return moment.timestamp()


def _scope(call: Call) -> tuple[str, list[Task]]:
    """Which tasks the filter names, and the path pages are cut from."""
    tasks = list(call.state.tasks.values())
    project, section = call.req.param("project"), call.req.param("section")
    assignee, workspace = call.req.param("assignee"), call.req.param("workspace")
    if project:
        found = known(call.state.projects, project, "project")
        visible_workspace(call, found.workspace)
        return "/tasks", [t for t in tasks if found.gid in t.projects]
    if section:
        place = known(call.state.sections, section, "section")
        visible_workspace(call, call.state.projects[place.project].workspace)
        return "/tasks", [t for t in tasks if place.gid in t.sections.values()]
    if assignee and workspace:
        space = visible_workspace(call, workspace)
        person = visible_user(call, assignee)
        return "/tasks", [t for t in tasks if t.workspace == space.gid and t.assignee == person.gid]
    raise Refusal(400, NEEDS_A_FILTER)


@router.route("GET", "/tasks")
@needs("tasks:read")
def get_tasks(call: Call) -> Response:
    path, tasks = _scope(call)
    modified_since = _moment(call, "modified_since")
    completed_since = _moment(call, "completed_since")
    if modified_since is not None:
        tasks = [t for t in tasks if t.modified_at >= modified_since]
    if completed_since is not None:
        tasks = [t for t in tasks if not t.completed or (t.completed_at or 0) >= completed_since]
    return paginated(call, sorted(tasks, key=lambda t: int(t.gid)), path)
