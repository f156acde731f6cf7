"""How the sandbox's objects look on the wire, and Asana's `opt_fields` selection.

Each kind of resource has a table of fields (name -> how to read it). A field's value may be
another resource (or a list of them); that one is rendered compact unless `opt_fields` asks for
some of its own fields with a dotted path (`assignee.name`, `projects.name`).
Reference: https://developers.asana.com/docs/inputoutput-options
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .state import Project, SandboxState, Section, Story, Task, User, Webhook, Workspace, iso

# A selection of fields: {"name": {}, "assignee": {"name": {}}}; an empty dict means "the field".
FieldTree = dict[str, "FieldTree"]


@dataclass
class RenderContext:
    state: SandboxState
    # Where the sandbox is reached from the caller's side, for permalinks and next_page URIs.
    base_url: str


def task_permalink(base_url: str, task: Task) -> str:
    """Asana's classic task link, /0/<project or 0>/<task>, served by pages.py."""
    project = task.projects[0] if task.projects else "0"
    return f"{base_url}/0/{project}/{task.gid}"


def _maybe_iso(value: float | None) -> str | None:
    return iso(value) if value is not None else None


def _membership(task: Task, project: str, c: RenderContext) -> dict[str, Any]:
    """Asana's {project, section} for one of the task's projects."""
    section = c.state.sections.get(task.sections.get(project, ""))
    return {"project": c.state.projects[project], "section": section}


Getter = Callable[[Any, RenderContext], Any]

WORKSPACE_FIELDS: dict[str, Getter] = {
    "name": lambda w, c: w.name,
    "is_organization": lambda w, c: w.is_organization,
    "email_domains": lambda w, c: list(w.email_domains),
}

USER_FIELDS: dict[str, Getter] = {
    "name": lambda u, c: u.name,
    "email": lambda u, c: u.email,
    "photo": lambda u, c: None,
    "workspaces": lambda u, c: [c.state.workspaces[g] for g in u.workspaces],
}

PROJECT_FIELDS: dict[str, Getter] = {
    "name": lambda p, c: p.name,
    "archived": lambda p, c: p.archived,
    "color": lambda p, c: p.color,
    "notes": lambda p, c: p.notes,
    "created_at": lambda p, c: iso(p.created_at),
    "modified_at": lambda p, c: iso(p.created_at),
    "completed": lambda p, c: False,
    "completed_at": lambda p, c: None,
    "public": lambda p, c: True,
    "workspace": lambda p, c: c.state.workspaces[p.workspace],
    "permalink_url": lambda p, c: f"{c.base_url}/0/{p.gid}/list",
}

# Tasks and stories both carry Asana's hearts and likes; nobody in the sandbox gives any.
NOBODY_LIKES_IT: dict[str, Getter] = {
    "hearted": lambda o, c: False,
    "hearts": lambda o, c: [],
    "num_hearts": lambda o, c: 0,
    "liked": lambda o, c: False,
    "likes": lambda o, c: [],
    "num_likes": lambda o, c: 0,
}

TASK_FIELDS: dict[str, Getter] = {
    "name": lambda t, c: t.name,
    "resource_subtype": lambda t, c: "default_task",
    "created_by": lambda t, c: c.state.users[t.created_by],
    "assignee": lambda t, c: c.state.users.get(t.assignee) if t.assignee else None,
    "assignee_status": lambda t, c: "upcoming" if t.assignee else "inbox",
    "completed": lambda t, c: t.completed,
    "completed_at": lambda t, c: _maybe_iso(t.completed_at),
    "created_at": lambda t, c: iso(t.created_at),
    "modified_at": lambda t, c: iso(t.modified_at),
    "due_on": lambda t, c: t.due_on,
    "due_at": lambda t, c: None,
    "start_on": lambda t, c: None,
    "start_at": lambda t, c: None,
    "notes": lambda t, c: t.notes,
    "html_notes": lambda t, c: t.html_notes,
    "followers": lambda t, c: [c.state.users[g] for g in t.followers],
    "projects": lambda t, c: [c.state.projects[g] for g in t.projects],
    "memberships": lambda t, c: [_membership(t, g, c) for g in t.projects],
    "workspace": lambda t, c: c.state.workspaces[t.workspace],
    "parent": lambda t, c: None,
    "tags": lambda t, c: [],
    "custom_fields": lambda t, c: [],
    **NOBODY_LIKES_IT,
    "actual_time_minutes": lambda t, c: None,
    "is_rendered_as_separator": lambda t, c: False,
    "permalink_url": lambda t, c: task_permalink(c.base_url, t),
    # Opt-in in Asana's spec: only when opt_fields names them.
    "num_subtasks": lambda t, c: 0,
    "dependencies": lambda t, c: [],
    "dependents": lambda t, c: [],
}

SECTION_FIELDS: dict[str, Getter] = {
    "name": lambda s, c: s.name,
    "created_at": lambda s, c: iso(s.created_at),
    "project": lambda s, c: c.state.projects[s.project],
    "projects": lambda s, c: [c.state.projects[s.project]],
}


def webhook_resource(w: Webhook, c: RenderContext) -> Any:
    return c.state.projects.get(w.resource) or c.state.tasks.get(w.resource)


WEBHOOK_FIELDS: dict[str, Getter] = {
    "active": lambda w, c: w.active,
    "resource": webhook_resource,
    "target": lambda w, c: w.target,
    "created_at": lambda w, c: iso(w.created_at),
    "filters": lambda w, c: [dict(f) for f in w.filters],
    "last_failure_at": lambda w, c: _maybe_iso(w.last_failure_at),
    "last_failure_content": lambda w, c: w.last_failure_content,
    "last_success_at": lambda w, c: _maybe_iso(w.last_success_at),
    "delivery_retry_count": lambda w, c: w.delivery_retry_count,
    "next_attempt_after": lambda w, c: _maybe_iso(w.next_attempt_after),
    "failure_deletion_timestamp": lambda w, c: _maybe_iso(
        w.failing_since + c.state.config.webhook_failure_window
        if w.failing_since is not None
        else None
    ),
}

STORY_FIELDS: dict[str, Getter] = {
    "created_at": lambda s, c: iso(s.created_at),
    "created_by": lambda s, c: c.state.users[s.created_by],
    "resource_subtype": lambda s, c: "comment_added",
    "type": lambda s, c: "comment",
    "text": lambda s, c: s.text,
    "html_text": lambda s, c: s.html_text,
    "is_pinned": lambda s, c: s.is_pinned,
    "is_edited": lambda s, c: False,
    "is_editable": lambda s, c: True,
    "source": lambda s, c: "api",
    "target": lambda s, c: c.state.tasks[s.task],
    **NOBODY_LIKES_IT,
    "previews": lambda s, c: [],
}

FIELDS: dict[type, dict[str, Getter]] = {
    Workspace: WORKSPACE_FIELDS,
    User: USER_FIELDS,
    Project: PROJECT_FIELDS,
    Task: TASK_FIELDS,
    Story: STORY_FIELDS,
    Section: SECTION_FIELDS,
    Webhook: WEBHOOK_FIELDS,
}

# What a list answers (and what a nested object shows) when opt_fields does not say.
COMPACT: dict[type, tuple[str, ...]] = {
    Workspace: ("name",),
    User: ("name",),
    Project: ("name",),
    Task: ("name", "resource_subtype"),
    Story: ("created_at", "created_by", "resource_subtype", "text"),
    Section: ("name",),
    Webhook: ("active", "resource", "target"),
}

OPT_IN = {"num_subtasks", "dependencies", "dependents"}
# The selection "this object, no fields of its own": nested objects answer {gid, resource_type}.
BARE = "__bare__"
BARE_TREE: FieldTree = {BARE: {}}
# A task's creator is {gid, resource_type} only in Asana's full record (TaskResponse.created_by).
BARE_IN_FULL = {(Task, "created_by")}


def parse_opt_fields(values: Iterable[str]) -> FieldTree | None:
    """`opt_fields=name,assignee.name` -> {"name": {}, "assignee": {"name": {}}}; None if absent."""
    paths = [p.strip() for value in values for p in value.split(",") if p.strip()]
    if not paths:
        return None
    tree: FieldTree = {}
    for path in paths:
        if path.startswith("this."):
            path = path[len("this.") :]
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def compact(obj: Any, ctx: RenderContext) -> dict[str, Any]:
    """The compact record; objects inside it are compact too (a story's author has a name)."""
    out = {"gid": obj.gid, "resource_type": obj.resource_type}
    fields = FIELDS[type(obj)]
    for name in COMPACT[type(obj)]:
        out[name] = _render_value(fields[name](obj, ctx), None, ctx)
    return out


def full(obj: Any, ctx: RenderContext) -> dict[str, Any]:
    """The whole record, as a single GET answers it without opt_fields."""
    kind = type(obj)
    out = {"gid": obj.gid, "resource_type": obj.resource_type}
    for name, getter in FIELDS[kind].items():
        if name in OPT_IN:
            continue
        value = getter(obj, ctx)
        if (kind, name) in BARE_IN_FULL:
            out[name] = _render_value(value, BARE_TREE, ctx)
        else:
            out[name] = _render_value(value, None, ctx)
    return out


def render(obj: Any, tree: FieldTree, ctx: RenderContext) -> dict[str, Any]:
    """gid, resource_type and exactly the fields the tree names (unknown names are skipped)."""
    out = {"gid": obj.gid, "resource_type": obj.resource_type}
    fields = FIELDS[type(obj)]
    for name, subtree in tree.items():
        getter = fields.get(name)
        if getter is not None:
            # A field named without sub-fields answers nested objects as {gid, resource_type}.
            out[name] = _render_value(getter(obj, ctx), subtree or BARE_TREE, ctx)
    return out


def _render_value(value: Any, tree: FieldTree | None, ctx: RenderContext) -> Any:
    if isinstance(value, list):
        return [_render_value(item, tree, ctx) for item in value]
    if isinstance(value, dict):
        # A plain structure such as a membership {"project": …}: select inside it like an object.
        if tree is None or BARE in tree:
            return {key: _render_value(item, tree, ctx) for key, item in value.items()}
        return {
            key: _render_value(item, tree[key] or BARE_TREE, ctx)
            for key, item in value.items()
            if key in tree
        }
    if type(value) in FIELDS:
        if tree is None:
            return compact(value, ctx)
        if BARE in tree:
            return {"gid": value.gid, "resource_type": value.resource_type}
        return render(value, tree, ctx)
    return value


def present(
    obj: Any, tree: FieldTree | None, ctx: RenderContext, *, single: bool
) -> dict[str, Any]:
    """The representation an endpoint answers: opt_fields if given, else full or compact."""
    if tree is not None:
        return render(obj, tree, ctx)
    return full(obj, ctx) if single else compact(obj, ctx)
