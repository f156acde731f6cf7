"""Asana's REST API under /api/1.0: the subset Tasklink (and the official SDK) speaks.

Shapes, status codes and error words follow Asana's OpenAPI spec and its documentation; where
Asana documents no words for an error, the message says plainly what was wrong.
Reference: https://developers.asana.com/reference/rest-api-reference
"""

from __future__ import annotations

import base64
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from . import changes
from .resources import FieldTree, RenderContext, parse_opt_fields, present
from .state import AccessToken, Project, SandboxState, Task, User, Workspace
from .web import RATE_LIMITED, Handler, Refusal, Request, Response, Router, json_response

API_PREFIX = "/api/1.0"
PAGE_MAX = 100
TYPEAHEAD_DEFAULT = 20
TYPEAHEAD_TYPES = {
    "actor",
    "agent",
    "custom_field",
    "goal",
    "project",
    "project_template",
    "portfolio",
    "tag",
    "task",
    "team",
    "user",
}
GID = re.compile(r"^\d+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Scopes that stand for full access: "default" (also what no scope at all means).
FULL_ACCESS = {"default"}
# Asana renamed the typeahead scope in 2026; both spellings grant it.
SCOPE_ALIASES = {"workspace.typeahead:read": "workspaces.typeahead:read"}

router = Router()


@dataclass
class Call:
    """One authenticated API request."""

    req: Request
    state: SandboxState
    user: User
    access: AccessToken
    fields: FieldTree | None

    @property
    def ctx(self) -> RenderContext:
        return RenderContext(self.state, self.req.base_url)

    def show(self, obj: Any, *, single: bool) -> dict[str, Any]:
        return present(obj, self.fields, self.ctx, single=single)

    def answer(self, status: int, payload: Any, headers: list[tuple[str, str]] = ()) -> Response:
        pretty = (self.req.param("opt_pretty") or self.req.param("pretty") or "") == "true"
        return json_response(status, payload, headers=headers, pretty=pretty)

    def answer_one(
        self, obj: Any, status: int = 200, headers: list[tuple[str, str]] = ()
    ) -> Response:
        """One object in Asana's envelope, {"data": {...}}, with the fields asked for."""
        return self.answer(status, {"data": self.show(obj, single=True)}, headers)


# --- entry point -----------------------------------------------------------------------------


def handle(req: Request, state: SandboxState) -> Response:
    """Answer a request whose path starts with /api/1.0 (the caller holds state.lock)."""
    path = req.path[len(API_PREFIX) :] or "/"
    matched = router.match(req.method, path)
    if matched is None:
        # Asana answers an unknown route, or a method a path does not take, with a 404.
        return Refusal(404, "No matching route for request").response()
    handler, params = matched
    try:
        access = authenticate(req, state)
        check_rate_limit(access, state)
        check_scope(access, getattr(handler, "scope", None))
        call = Call(
            req,
            state,
            state.users[access.user],
            access,
            parse_opt_fields(req.query.get("opt_fields", [])),
        )
        return handler(call, **params)
    except Refusal as error:
        return error.response()


def authenticate(req: Request, state: SandboxState) -> AccessToken:
    header = req.header("authorization") or ""
    scheme, _, token = header.partition(" ")
    access = state.live_token(token.strip()) if scheme.lower() == "bearer" else None
    if access is None:
        # Asana gives the same answer for a missing, unknown, expired or revoked token.
        raise Refusal(401, "Not Authorized")
    return access


def check_rate_limit(access: AccessToken, state: SandboxState) -> None:
    """A per-token, per-minute quota; rejected requests count too, as Asana documents."""
    limit = state.config.rate_limit
    if not limit:
        return
    now = state.now()
    window = [t for t in state.rate_windows.get(access.token, []) if t > now - 60]
    window.append(now)
    state.rate_windows[access.token] = window
    if len(window) <= limit:
        return
    # The next request gets through once enough of the recent ones have left the minute.
    leaving = window[len(window) - limit]
    retry_after = max(1, math.ceil(leaving + 60 - now))
    raise Refusal(429, RATE_LIMITED, headers=[("Retry-After", str(retry_after))])


def check_scope(access: AccessToken, scope: str | None) -> None:
    granted = {SCOPE_ALIASES.get(s, s) for s in access.scopes}
    if scope is None or granted & FULL_ACCESS or scope in granted:
        return
    raise Refusal(
        403,
        f"This request needs the OAuth scope {scope}, which the token was not granted "
        f"(granted: {' '.join(sorted(access.scopes))}).",
    )


def endpoint(method: str, pattern: str, scope: str | None) -> Callable[[Handler], Handler]:
    """Route `method pattern` to the handler, behind the OAuth scope the operation's `security`
    names in the spec (None where the spec names none)."""

    def register(handler: Handler) -> Handler:
        handler.scope = scope  # type: ignore[attr-defined]  # read back by handle()
        router.add(method, pattern, handler)
        return handler

    return register


def read_one(pattern: str, scope: str, find: Callable[[Call, str], Any]) -> None:
    """GET `pattern` (one `{..._gid}` segment) answers the object `find` gives after its access
    check, as Asana's getUser, getWorkspace, getTask and getWebhook do."""

    @endpoint("GET", pattern, scope)
    def read(call: Call, **gid: str) -> Response:
        (value,) = gid.values()
        return call.answer_one(find(call, value))


# --- lookups: every access check lives here ----------------------------------------------------


def _check_gid(value: str, name: str) -> str:
    if not GID.match(value):
        raise Refusal(400, f"{name}: Not a recognized ID: {value}")
    return value


def known(table: dict[str, Any], gid: str, kind: str) -> Any:
    """The object filed under gid, or Asana's 404 for the kind; a malformed gid is a 400."""
    found = table.get(_check_gid(gid, kind))
    if found is None:
        raise Refusal(404, f"{kind}: Unknown object: {gid}")
    return found


def visible_workspace(call: Call, gid: str, *, in_body: bool = False) -> Workspace:
    """The workspace, if the caller is in it. An unknown gid in the path is a 404 (no such
    resource), in a request body a 400 (a bad value), as for projects."""
    workspace = call.state.workspaces.get(_check_gid(gid, "workspace"))
    if workspace is None:
        raise Refusal(400 if in_body else 404, f"workspace: Unknown object: {gid}")
    if gid not in call.user.workspaces:
        raise Refusal(403, "You do not have access to this workspace.")
    return workspace


def visible_task(call: Call, gid: str) -> Task:
    task = call.state.tasks.get(_check_gid(gid, "task"))
    if task is None:
        raise Refusal(404, f"task: Unknown object: {gid}")
    if task.workspace not in call.user.workspaces:
        raise Refusal(403, "You do not have access to this task.")
    return task


def visible_user(call: Call, ref: str) -> User:
    if ref == "me":
        return call.user
    user = call.state.find_user(ref)
    if user is None:
        if not GID.match(ref) and "@" not in ref:
            raise Refusal(400, f"user: Not a recognized ID: {ref}")
        raise Refusal(404, f"user: Unknown object: {ref}")
    if not set(user.workspaces) & set(call.user.workspaces):
        raise Refusal(403, "You do not have access to this user.")
    return user


# --- pagination ------------------------------------------------------------------------------


def _encode_offset(path: str, index: int) -> str:
    raw = json.dumps({"p": path, "o": index}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_offset(token: str, path: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw)
        if decoded["p"] != path or not isinstance(decoded["o"], int) or decoded["o"] < 0:
            raise ValueError
        return decoded["o"]
    except (ValueError, KeyError, TypeError) as error:
        raise Refusal(400, "offset: Your pagination token is invalid.") from error


def _int_param(call: Call, name: str, low: int, high: int) -> int | None:
    raw = call.req.param(name)
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d+", raw.strip()) or not low <= int(raw) <= high:
        raise Refusal(400, f"{name}: Must be an integer between {low} and {high}, not: {raw}")
    return int(raw)


def paginated(call: Call, items: list[Any], path: str) -> Response:
    """Asana's paging: `next_page` {offset, path, uri} (null on the last page) when `limit` is
    given; without `limit` the whole list comes back and no `next_page` key at all."""
    limit = _int_param(call, "limit", 1, PAGE_MAX)
    offset = call.req.param("offset")
    start = _decode_offset(offset, path) if offset else 0
    if limit is None:
        return call.answer(200, {"data": [call.show(item, single=False) for item in items[start:]]})
    page = items[start : start + limit]
    next_page = None
    if start + limit < len(items):
        token = _encode_offset(path, start + limit)
        pairs = [(k, v) for k, v in call.req.query_pairs if k != "offset"] + [("offset", token)]
        relative = f"{path}?{urlencode(pairs)}"
        next_page = {
            "offset": token,
            "path": relative,
            "uri": f"{call.req.base_url}{API_PREFIX}{relative}",
        }
    data = [call.show(item, single=False) for item in page]
    return call.answer(200, {"data": data, "next_page": next_page})


# --- request bodies --------------------------------------------------------------------------


def read_data(req: Request) -> dict[str, Any]:
    """The `data` object of a JSON body (or the fields of a form-encoded one, as Asana allows)."""
    if req.content_type == "application/x-www-form-urlencoded":
        return dict(req.form())
    try:
        body = json.loads(req.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError) as error:
        raise Refusal(400, "Could not parse request data, invalid JSON") from error
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise Refusal(400, "data: Missing input")
    for key in body:
        if key not in ("data", "options"):
            raise Refusal(
                400,
                f"Unrecognized request field '{key}'. The only allowed keys at the top level "
                "are: data, options.",
            )
    return body["data"]


# The tags Asana's rich-text guide allows in a task's notes and a story's text.
RICH_TEXT_TAGS = frozenset(
    ("body", "strong", "em", "u", "s", "code", "pre", "ol", "ul", "li", "a", "blockquote")
    + ("h1", "h2", "hr", "img", "table", "tr", "td")
)


def _text_of(html_text: str, name: str) -> str:
    """The plain text of Asana rich text, which must be XML inside a <body> element."""
    try:
        root = ET.fromstring(html_text)
    except ET.ParseError as error:
        raise Refusal(400, f"{name}: XML is invalid: {error}") from error
    if root.tag != "body":
        raise Refusal(400, f"{name}: Rich text must be wrapped in a <body> element")
    for element in root.iter():
        if element.tag not in RICH_TEXT_TAGS:
            raise Refusal(400, f"{name}: Rich text tag <{element.tag}> is not supported")
    return "".join(root.itertext())


def rich_text(data: dict[str, Any], plain: str, html: str) -> tuple[str, str] | None:
    """(plain, html) from whichever of the two fields was sent; None if neither."""
    if plain in data and html in data:
        raise Refusal(400, f"You may only provide one of {plain} or {html}")
    if html in data:
        value = data[html]
        if not isinstance(value, str):
            raise Refusal(400, f"{html}: Not a string")
        return _text_of(value, html), value
    if plain in data:
        value = data[plain]
        if not isinstance(value, str):
            raise Refusal(400, f"{plain}: Not a string")
        return value, f"<body>{escape(value, quote=False)}</body>"
    return None


def _string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise Refusal(400, f"{name}: Not a string")
    return value


def _boolean(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if isinstance(value, str) and value in ("true", "false"):  # form-encoded bodies
        return value == "true"
    if value is not None and not isinstance(value, bool):
        raise Refusal(400, f"{name}: Not a boolean: {value!r}")
    return value


def _due_on(data: dict[str, Any]) -> str | None:
    value = data.get("due_on")
    if value is not None and (not isinstance(value, str) or not DATE.match(value)):
        raise Refusal(400, f"due_on: Date must be in ISO-8601 (yyyy-mm-dd) format, not: {value}")
    return value


def _assignee(call: Call, value: Any, workspace: Workspace) -> str | None:
    """A gid, "me" or an email, of someone in the task's workspace."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Refusal(400, f"assignee: Not a recognized ID: {value}")
    if value == "me":
        return call.user.gid
    if not GID.match(value) and "@" not in value:
        raise Refusal(400, f"assignee: Not a recognized ID: {value}")
    user = call.state.find_user(value)
    if user is None or workspace.gid not in user.workspaces:
        # Asana's words for a plain (non-organization) workspace.
        raise Refusal(400, f"assignee: Not a user in Workspace: {workspace.gid}")
    return user.gid


def _memberships(call: Call, value: Any) -> dict[str, str]:
    """Create-only `memberships: [{"project", "section"}]`: {project gid: section gid}."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise Refusal(400, "memberships: Not an array of objects")
    placed = {}
    for i, membership in enumerate(value):
        project = _projects(call, [membership.get("project")])[0]
        section = call.state.sections.get(str(membership.get("section")))
        if section is None or section.project != project.gid:
            raise Refusal(400, f"memberships: [{i}]: section is not in project {project.gid}")
        placed[project.gid] = section.gid
    return placed


def _projects(call: Call, value: Any) -> list[Project]:
    if isinstance(value, str):  # form-encoded: a comma-separated list
        value = [v for v in value.split(",") if v]
    if not isinstance(value, list):
        raise Refusal(400, "projects: Not an array")
    projects = []
    for i, gid in enumerate(value):
        if not isinstance(gid, str) or not GID.match(gid):
            raise Refusal(400, f"projects: [{i}]: Not a recognized ID: {gid}")
        project = call.state.projects.get(gid)
        if project is None:
            raise Refusal(400, f"projects: [{i}]: Unknown object: {gid}")
        if project.workspace not in call.user.workspaces:
            raise Refusal(403, "You do not have access to this project.")
        projects.append(project)
    return projects


# --- users and workspaces --------------------------------------------------------------------


read_one("/users/{user_gid}", "users:read", visible_user)


@endpoint("GET", "/workspaces", "workspaces:read")
def get_workspaces(call: Call) -> Response:
    workspaces = [call.state.workspaces[g] for g in call.user.workspaces]
    return paginated(call, workspaces, "/workspaces")


read_one("/workspaces/{workspace_gid}", "workspaces:read", visible_workspace)


@endpoint("GET", "/workspaces/{workspace_gid}/projects", "projects:read")
def get_projects_for_workspace(call: Call, workspace_gid: str) -> Response:
    workspace = visible_workspace(call, workspace_gid)
    archived = call.req.param("archived")
    projects = [
        p
        for p in call.state.projects.values()
        if p.workspace == workspace.gid
        and (archived is None or str(p.archived).lower() == archived)
    ]
    return paginated(call, projects, f"/workspaces/{workspace.gid}/projects")


# The spec names no OAuth scope for sections.
@endpoint("GET", "/projects/{project_gid}/sections", None)
def get_sections_for_project(call: Call, project_gid: str) -> Response:
    project = known(call.state.projects, project_gid, "project")
    visible_workspace(call, project.workspace)
    sections = call.state.sections_of(project.gid)
    return paginated(call, sections, f"/projects/{project.gid}/sections")


@endpoint("GET", "/sections/{section_gid}", None)
def get_section(call: Call, section_gid: str) -> Response:
    section = known(call.state.sections, section_gid, "section")
    visible_workspace(call, call.state.projects[section.project].workspace)
    return call.answer_one(section)


# --- typeahead -------------------------------------------------------------------------------


def _match_rank(query: str, *texts: str) -> int | None:
    """0: the text starts with the query; 1: every query word starts a word; 2: every query word
    appears somewhere; None: no match. An empty query matches everything."""
    words = query.lower().split()
    if not words:
        return 0
    best = None
    for text in texts:
        lowered = text.lower()
        text_words = re.findall(r"[a-z0-9]+", lowered)
        if lowered.startswith(query.lower().strip()):
            rank = 0
        elif all(any(tw.startswith(w) for tw in text_words) for w in words):
            rank = 1
        elif all(w in lowered for w in words):
            rank = 2
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best


def _typeahead_pool(
    state: SandboxState, workspace_gid: str, kind: str
) -> Iterator[tuple[Any, tuple[str, ...], Any]]:
    """What a typeahead of `kind` looks through in a workspace: each object, the texts it is
    found by, and its order among equally good matches."""
    if kind in ("user", "actor"):
        for user in state.users.values():
            if workspace_gid in user.workspaces:
                yield user, (user.name, user.email), user.name.lower()
    elif kind == "project":
        for project in state.projects.values():
            if project.workspace == workspace_gid:
                # Open projects first, then the most recent.
                yield project, (project.name,), (project.archived, -project.created_at)
    elif kind == "task":
        for task in state.tasks.values():
            if task.workspace == workspace_gid:
                yield task, (task.name,), (task.completed, -task.modified_at)
    # Other kinds (tags, portfolios, teams…) exist in Asana but not in the sandbox: no results.


@endpoint("GET", "/workspaces/{workspace_gid}/typeahead", "workspaces.typeahead:read")
def typeahead_for_workspace(call: Call, workspace_gid: str) -> Response:
    workspace = visible_workspace(call, workspace_gid)
    # `type` is the deprecated spelling; `resource_type` wins when both are given.
    kind = call.req.param("resource_type") or call.req.param("type") or "user"
    if kind not in TYPEAHEAD_TYPES:
        allowed = ", ".join(sorted(TYPEAHEAD_TYPES))
        raise Refusal(400, f"resource_type: Not one of the allowed values ({allowed}): {kind}")
    count = _int_param(call, "count", 1, PAGE_MAX) or TYPEAHEAD_DEFAULT
    query = call.req.param("query") or ""
    candidates = [
        (rank, order, obj)
        for obj, texts, order in _typeahead_pool(call.state, workspace.gid, kind)
        if (rank := _match_rank(query, *texts)) is not None
    ]
    candidates.sort(key=lambda c: (c[0], c[1]))
    tree = call.fields or {"name": {}}
    data = [present(obj, tree, call.ctx, single=False) for _, _, obj in candidates[:count]]
    return call.answer(200, {"data": data})


# --- tasks -----------------------------------------------------------------------------------


@endpoint("POST", "/tasks", "tasks:write")
def create_task(call: Call) -> Response:
    data = read_data(call.req)
    if not any(data.get(k) for k in ("workspace", "projects", "parent")):
        raise Refusal(400, "You should specify one of workspace, parent, projects")
    if data.get("parent"):
        raise Refusal(400, "parent: Subtasks are not supported by the Asana sandbox")
    projects = _projects(call, data["projects"]) if data.get("projects") else []
    placed = _memberships(call, data.get("memberships"))
    projects += [call.state.projects[p] for p in placed if p not in {x.gid for x in projects}]
    if data.get("workspace"):
        workspace = visible_workspace(call, str(data["workspace"]), in_body=True)
    else:
        workspace = call.state.workspaces[projects[0].workspace]
    for i, project in enumerate(projects):
        if project.workspace != workspace.gid:
            raise Refusal(
                400, f"projects: [{i}]: Project {project.gid} is not in workspace {workspace.gid}"
            )
    name = _string(data, "name") or ""
    notes = rich_text(data, "notes", "html_notes") or ("", "<body></body>")
    completed = bool(_boolean(data, "completed"))
    assignee = _assignee(call, data.get("assignee"), workspace)
    now = call.state.now()
    followers = [call.user.gid] + ([assignee] if assignee and assignee != call.user.gid else [])
    task = call.state.add(
        Task(
            gid=call.state.new_gid(),
            name=name,
            workspace=workspace.gid,
            created_at=now,
            modified_at=now,
            created_by=call.user.gid,
            projects=[p.gid for p in projects],
            assignee=assignee,
            notes=notes[0],
            html_notes=notes[1],
            completed=completed,
            completed_at=now if completed else None,
            due_on=_due_on(data),
            followers=followers,
            sections=placed,
        )
    )
    changes.task_created(call.state, task, call.user.gid)
    location = f"{call.req.base_url}{API_PREFIX}/tasks/{task.gid}"
    return call.answer_one(task, 201, [("Location", location)])


read_one("/tasks/{task_gid}", "tasks:read", visible_task)


@endpoint("PUT", "/tasks/{task_gid}", "tasks:write")
def update_task(call: Call, task_gid: str) -> Response:
    task = visible_task(call, task_gid)
    data = read_data(call.req)
    for locked in ("projects", "workspace", "memberships", "parent", "tags"):
        if locked in data:
            raise Refusal(400, f"{locked}: Cannot write this property")
    # Validate everything before changing anything: a 400 leaves the task as it was.
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _string(data, "name") or ""
    notes = rich_text(data, "notes", "html_notes")
    if notes is not None:
        values["notes"] = notes
    if "completed" in data:
        values["completed"] = bool(_boolean(data, "completed"))
    if "assignee" in data:
        workspace = call.state.workspaces[task.workspace]
        values["assignee"] = _assignee(call, data["assignee"], workspace)
    if "due_on" in data:
        values["due_on"] = _due_on(data)
    changes.update_task(call.state, task, call.user.gid, values)
    return call.answer_one(task)


# --- stories ---------------------------------------------------------------------------------


@endpoint("GET", "/tasks/{task_gid}/stories", "stories:read")
def get_stories_for_task(call: Call, task_gid: str) -> Response:
    task = visible_task(call, task_gid)
    stories = sorted(
        (s for s in call.state.stories.values() if s.task == task.gid),
        key=lambda s: (s.created_at, int(s.gid)),
    )
    return paginated(call, stories, f"/tasks/{task.gid}/stories")


@endpoint("POST", "/tasks/{task_gid}/stories", "stories:write")
def create_story_for_task(call: Call, task_gid: str) -> Response:
    task = visible_task(call, task_gid)
    data = read_data(call.req)
    text = rich_text(data, "text", "html_text")
    if text is None or not text[0].strip():
        raise Refusal(400, "text: Missing input")
    story = changes.add_comment(
        call.state, task, call.user.gid, *text, is_pinned=bool(_boolean(data, "is_pinned"))
    )
    location = f"{call.req.base_url}{API_PREFIX}/stories/{story.gid}"
    return call.answer_one(story, 201, [("Location", location)])


@endpoint("GET", "/stories/{story_gid}", "stories:read")
def get_story(call: Call, story_gid: str) -> Response:
    story = known(call.state.stories, story_gid, "story")
    visible_task(call, story.task)
    return call.answer_one(story)
