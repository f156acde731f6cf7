"""The sandbox's few HTML pages: the OAuth consent page, error pages, and task pages.

Task pages answer the permalinks the API hands out (/0/<project>/<task>, /1/<workspace>/task/
<task>), so a link Tasklink shows leads somewhere during a demo. Pages need no login: the sandbox
holds no secrets worth keeping.
"""

from __future__ import annotations

from html import escape

from .act import ActError, act
from .resources import task_permalink
from .state import SandboxState, Task, User, iso
from .web import Request, Response, Router, html_response

router = Router()

STYLE = """
:root { color-scheme: light; --accent: #f06a6a; --muted: #6d6e6f; --line: #e0e0e0; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
       background: #f6f7f8; color: #1e1f21; }
main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem; background: #fff;
       border: 1px solid var(--line); border-radius: 12px; }
@media (max-width: 36rem) { main { margin: 0; border-radius: 0; border-width: 0 0 1px; } }
h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
.badge { display: inline-block; font-size: .75rem; padding: .1rem .5rem; border-radius: 99px;
         background: #fff1d6; color: #6b4b00; margin-bottom: .75rem; }
.muted { color: var(--muted); font-size: .9rem; }
fieldset { border: 0; padding: 0; margin: 1rem 0; }
legend { font-weight: 600; margin-bottom: .5rem; }
label.person { display: flex; gap: .75rem; align-items: center; padding: .6rem .75rem;
               border: 1px solid var(--line); border-radius: 8px; margin-bottom: .5rem;
               cursor: pointer; }
label.person:has(input:checked) { border-color: var(--accent); background: #fff5f5; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1.25rem; }
button { font: inherit; padding: .6rem 1.2rem; border-radius: 8px; border: 1px solid var(--line);
         background: #fff; cursor: pointer; min-width: 8rem; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
ul.scopes { margin: .25rem 0 0; padding-left: 1.25rem; }
code { font-size: .85em; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { color: var(--muted); }
.story { border-top: 1px solid var(--line); padding: .5rem 0; }
.done { color: #1a7f37; }
"""


def layout(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} · Asana sandbox</title><style>{STYLE}</style></head>"
        f"<body><main><span class='badge'>Asana sandbox</span>{body}</main></body></html>"
    )


def error_page(status: int, title: str, detail: str) -> Response:
    body = f"<h1>{escape(title)}</h1><p>{escape(detail)}</p>"
    return html_response(status, layout(title, body))


def consent_page(
    params: dict[str, str], users: list[User], scopes: list[str], error: str = ""
) -> str:
    """Pick a sandbox person, then Allow or Deny; the original query rides in hidden fields."""
    hidden = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>"
        for k, v in params.items()
        if k not in ("user", "decision")
    )
    chosen = params.get("user") or (users[0].gid if users else "")
    people = "".join(
        f"<label class='person'><input type='radio' name='user' value='{escape(u.gid)}'"
        f"{' checked' if u.gid == chosen else ''}>"
        f"<span><strong>{escape(u.name)}</strong><br>"
        f"<span class='muted'>{escape(u.email)}</span></span></label>"
        for u in users
    )
    scope_items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes)
    problem = f"<p role='alert'><strong>{escape(error)}</strong></p>" if error else ""
    body = (
        "<h1>Grant access to your Asana account?</h1>"
        f"<p class='muted'>The app <code>{escape(params.get('client_id', ''))}</code> asks to "
        f"act on your behalf, then to return you to <code>"
        f"{escape(params.get('redirect_uri', ''))}</code>.</p>"
        f"<p class='muted'>Permissions requested:</p><ul class='scopes'>{scope_items}</ul>"
        f"{problem}"
        "<form method='post' action='/-/oauth_authorize'>"
        f"{hidden}<fieldset><legend>Sign in as</legend>{people}</fieldset>"
        "<div class='actions'>"
        "<button class='primary' type='submit' name='decision' value='approve'>Allow</button>"
        "<button type='submit' name='decision' value='deny'>Deny</button>"
        "</div></form>"
    )
    return layout("Grant access", body)


def _act_form(state: SandboxState, task: Task, problem: str) -> str:
    """Do what a person does in Asana, as one of the workspace's people; posts to this page."""
    people = [u for u in state.users.values() if task.workspace in u.workspaces]
    chosen = task.assignee or (people[0].gid if people else "")
    options = "".join(
        f"<option value='{escape(u.gid)}'{' selected' if u.gid == chosen else ''}>"
        f"{escape(u.name)}</option>"
        for u in people
    )
    toggle = ("reopen", "Reopen task") if task.completed else ("complete", "Mark complete")
    alert = f"<p role='alert'><strong>{escape(problem)}</strong></p>" if problem else ""
    return (
        f"<form method='post'>{alert}"
        f"<p><label for='as'>Act as</label> <select id='as' name='as'>{options}</select></p>"
        "<div class='actions'>"
        f"<button class='primary' type='submit' name='action' value='{toggle[0]}'>"
        f"{toggle[1]}</button></div>"
        "<p><label for='text'>Comment</label><br>"
        "<textarea id='text' name='text' rows='3' style='width:100%'></textarea></p>"
        "<div class='actions'>"
        "<button type='submit' name='action' value='comment'>Comment</button></div></form>"
    )


def _task_page(
    state: SandboxState, req: Request, task_gid: str, problem: str = "", code: int = 200
) -> Response:
    task = state.tasks.get(task_gid)
    if task is None:
        return error_page(404, "Task not found", f"No task {task_gid} in the Asana sandbox.")
    assignee = state.users.get(task.assignee) if task.assignee else None
    projects = ", ".join(escape(state.projects[g].name) for g in task.projects) or "none"
    stories = "".join(
        f"<div class='story'><strong>{escape(state.users[s.created_by].name)}</strong> "
        f"<span class='muted'>{iso(s.created_at)}</span><br>{escape(s.text)}</div>"
        for s in sorted(state.stories.values(), key=lambda s: s.created_at)
        if s.task == task.gid
    )
    status = "<span class='done'>Completed</span>" if task.completed else "Open"
    places = ", ".join(
        escape(state.sections[task.sections[g]].name) for g in task.projects if g in task.sections
    )
    body = (
        f"<h1>{escape(task.name) or '(untitled task)'}</h1>"
        f"<dl><dt>Status</dt><dd>{status}</dd>"
        f"<dt>Assignee</dt><dd>{escape(assignee.name) if assignee else 'Unassigned'}</dd>"
        f"<dt>Projects</dt><dd>{projects}</dd>"
        f"<dt>Section</dt><dd>{places or 'none'}</dd>"
        f"<dt>Due</dt><dd>{escape(task.due_on or 'no due date')}</dd>"
        f"<dt>Workspace</dt><dd>{escape(state.workspaces[task.workspace].name)}</dd>"
        f"<dt>Created</dt><dd>{iso(task.created_at)}</dd></dl>"
        f"<p style='white-space: pre-wrap'>{escape(task.notes)}</p>"
        f"{_act_form(state, task, problem)}"
        f"<h2 style='font-size:1rem'>Comments</h2>{stories or '<p class=muted>None yet.</p>'}"
        f"<p class='muted'>Permalink: <code>{escape(task_permalink(req.base_url, task))}</code></p>"
    )
    return html_response(code, layout(task.name or "Task", body))


def task_action(req: Request, state: SandboxState, task_gid: str, **_: str) -> Response:
    """A button on the task page: act, then back to the page (303), as a plain form."""
    form = req.form()
    try:
        act(state, {**form, "task": task_gid})
    except ActError as error:
        if task_gid not in state.tasks:
            return error_page(404, "Task not found", f"No task {task_gid} in the Asana sandbox.")
        return _task_page(state, req, task_gid, problem=str(error), code=400)
    return Response(303, b"", [("Location", req.path), ("Cache-Control", "no-store")])


def _project_page(state: SandboxState, req: Request, project_gid: str) -> Response:
    project = state.projects.get(project_gid)
    if project is None:
        return error_page(404, "Project not found", f"No project {project_gid} in the sandbox.")
    rows = "".join(
        f"<li><a href='{escape(task_permalink(req.base_url, t))}'>{escape(t.name)}</a>"
        f"{' <span class=done>✓</span>' if t.completed else ''}</li>"
        for t in state.tasks.values()
        if project.gid in t.projects
    )
    body = (
        f"<h1>{escape(project.name)}</h1>"
        f"<p class='muted'>{escape(state.workspaces[project.workspace].name)}</p><ul>{rows}</ul>"
    )
    return html_response(200, layout(project.name, body))


@router.route("GET", "/0/{project_gid}/{task_gid}")
def classic_task_link(
    req: Request, state: SandboxState, project_gid: str, task_gid: str
) -> Response:
    # /0/<project>/list is a project's own permalink; anything else names a task.
    if task_gid == "list":
        return _project_page(state, req, project_gid)
    return _task_page(state, req, task_gid)


# The buttons post to the page's own address, whichever permalink it was.
router.add("POST", "/0/{project_gid}/{task_gid}", task_action)
router.add("POST", "/1/{workspace_gid}/task/{task_gid}", task_action)
router.add("POST", "/1/{workspace_gid}/project/{project_gid}/task/{task_gid}", task_action)


@router.route("GET", "/1/{workspace_gid}/task/{task_gid}")
def workspace_task_link(
    req: Request, state: SandboxState, workspace_gid: str, task_gid: str
) -> Response:
    return _task_page(state, req, task_gid)


@router.route("GET", "/1/{workspace_gid}/project/{project_gid}/task/{task_gid}")
def project_task_link(
    req: Request, state: SandboxState, workspace_gid: str, project_gid: str, task_gid: str
) -> Response:
    return _task_page(state, req, task_gid)


@router.route("GET", "/")
def index(req: Request, state: SandboxState) -> Response:
    rows = "".join(
        f"<li><a href='{escape(task_permalink(req.base_url, t))}'>{escape(t.name)}</a></li>"
        for t in sorted(state.tasks.values(), key=lambda t: -t.created_at)[:50]
    )
    body = (
        "<h1>Asana sandbox</h1>"
        "<p class='muted'>A local stand-in for app.asana.com: OAuth at <code>/-/oauth_authorize"
        "</code>, the API under <code>/api/1.0</code>, controls under <code>/_sandbox/</code>."
        f"</p><h2 style='font-size:1rem'>Recent tasks</h2><ul>{rows}</ul>"
    )
    return html_response(200, layout("Asana sandbox", body))
