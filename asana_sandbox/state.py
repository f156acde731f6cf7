"""The sandbox's world: workspaces, people, projects, tasks, stories, and the OAuth grants.

Everything lives in memory behind one lock. Each HTTP request holds the lock while its handler
runs (handlers are short and never block), so requests see a consistent world without any
finer locking. Python callers (tests) may take `state.lock` too while they look around.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_TOKEN_TTL = 3600
# Asana's authorization codes are short-lived; ten minutes is what RFC 6749 suggests at most.
CODE_TTL = 600
FIRST_GID = 1200000000000001


def iso(timestamp: float) -> str:
    """Asana's date-time form: UTC with milliseconds, e.g. 2025-01-06T09:00:00.000Z."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Config:
    """What `manage.py asana_sandbox` options set; /_sandbox/reset goes back to these."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    redirect_uri: str | None = None
    token_ttl: int = DEFAULT_TOKEN_TTL
    auto_approve: bool = False
    rate_limit: int | None = None
    # Webhooks (see webhooks.py): Asana refuses localhost targets; tests and the demo allow them.
    allow_local_webhooks: bool = False
    webhook_heartbeat: float = 8 * 3600  # Asana: an empty delivery every 8 hours
    webhook_timeout: float = 10.0  # Asana: no answer within 10 s is a failure
    webhook_failure_window: float = 24 * 3600  # Asana: failing for 24 hours deletes the webhook
    webhook_retry_base: float = 1.0  # first retry after this, doubling up to an hour
    webhooks_per_resource: int = 1000
    webhooks_per_user: int = 10000  # per user per app


@dataclass
class Workspace:
    gid: str
    name: str
    is_organization: bool = False
    email_domains: list[str] = field(default_factory=list)
    resource_type = "workspace"


@dataclass
class User:
    gid: str
    name: str
    email: str
    workspaces: list[str]
    resource_type = "user"


@dataclass
class Project:
    gid: str
    name: str
    workspace: str
    created_at: float
    color: str = "light-blue"
    notes: str = ""
    archived: bool = False
    resource_type = "project"


@dataclass
class Section:
    gid: str
    name: str
    project: str
    created_at: float
    resource_type = "section"


@dataclass
class Task:
    gid: str
    name: str
    workspace: str
    created_at: float
    modified_at: float
    created_by: str
    projects: list[str] = field(default_factory=list)
    assignee: str | None = None
    notes: str = ""
    html_notes: str = "<body></body>"
    completed: bool = False
    completed_at: float | None = None
    due_on: str | None = None
    followers: list[str] = field(default_factory=list)
    # project gid -> section gid: the task's place in each of its projects.
    sections: dict[str, str] = field(default_factory=dict)
    resource_type = "task"


@dataclass
class Story:
    gid: str
    task: str
    created_by: str
    created_at: float
    text: str
    html_text: str
    is_pinned: bool = False
    resource_type = "story"


@dataclass
class Webhook:
    """A subscription of one app (client_id) acting as one user; see webhooks.py."""

    gid: str
    user: str
    client_id: str
    resource: str
    workspace: str
    target: str
    secret: str
    created_at: float
    filters: list[dict[str, Any]] = field(default_factory=list)
    active: bool = True
    last_success_at: float | None = None
    last_failure_at: float | None = None
    last_failure_content: str = ""
    delivery_retry_count: int = 0
    next_attempt_after: float | None = None
    # When the current run of failures began; the webhook goes when it lasts the window.
    failing_since: float | None = None
    last_heartbeat: float = 0.0
    resource_type = "webhook"


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    user: str
    scopes: list[str]
    code_challenge: str | None
    expires_at: float
    used: bool = False
    # The grant this code was exchanged for: reusing a code revokes it (RFC 6749, 4.1.2).
    grant: str | None = None


@dataclass
class Grant:
    """One user's consent to one client: the refresh token, alive until revoked."""

    refresh_token: str
    client_id: str
    user: str
    scopes: list[str]
    created_at: float
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    refresh_token: str
    user: str
    scopes: list[str]
    expires_at: float
    revoked: bool = False


@dataclass
class Fault:
    """A failure injected with POST /_sandbox/faults; see control.py for the fields."""

    id: int
    path: str
    method: str | None = None
    status: int | None = None
    times: int = 1
    retry_after: float | None = None
    delay: float = 0.0
    body: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.times <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int
    time: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


# --- Seed data ---------------------------------------------------------------------------------
# Deterministic: the same gids, names and dates on every start and after every reset, so tests and
# the demo can refer to them. Dates count from a fixed Monday. The world itself is data, in
# seed.json: "workspaces" (names); "users" [name, email, indexes of their workspaces];
# "projects" [name, workspace index, color]; "sections" (every project's, the first being where
# new tasks land: Asana's board columns); "tasks" [name, project index, assignee index or null,
# completed]; "stories" [task index, author index, text].

SEED = json.loads((Path(__file__).parent / "seed.json").read_text(encoding="utf-8"))
SEED_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC).timestamp()
PROJECT_NOTES = "Seeded by the Asana sandbox."


def _html_body(text: str) -> str:
    return f"<body>{escape(text, quote=False)}</body>"


class Worker:
    """A background thread that sleeps on `state.changed`; `stop()` wakes it and waits for it.
    Subclasses write `_run`, returning once `self.stopping` is true."""

    name = "asana-sandbox-worker"
    join_timeout = 5.0

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.stopping = False
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self.state.lock:
            self.stopping = True
            self.state.changed.notify_all()
        # A Ctrl-C can land between deciding to start and starting: nothing to wait for then.
        if self._thread.ident is not None:
            self._thread.join(timeout=self.join_timeout)

    def _run(self) -> None:
        raise NotImplementedError


class SandboxState:
    """The live world. Read it from Python (under `lock` if the server is running)."""

    def __init__(self, config: Config | None = None) -> None:
        self.lock = threading.RLock()
        # Notified on every change the webhook dispatcher or the state file should see.
        self.changed = threading.Condition(self.lock)
        self.version = 0
        self.initial_config = copy.deepcopy(config or Config())
        # Seconds added to the real clock: lets tests age codes and tokens without sleeping.
        self.clock_offset = 0.0
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seed: data, tokens, faults, request log, configuration and clock."""
        with self.lock:
            self.config = copy.deepcopy(self.initial_config)
            self.clock_offset = 0.0
            # A gid is never handed out twice: new objects after a reset go on from the
            # highest gid ever issued (the seed's own gids are fixed).
            high_water = getattr(self, "_next_gid", FIRST_GID)
            self._next_gid = FIRST_GID
            self._next_fault_id = 1
            self.workspaces: dict[str, Workspace] = {}
            self.users: dict[str, User] = {}
            self.projects: dict[str, Project] = {}
            self.tasks: dict[str, Task] = {}
            self.stories: dict[str, Story] = {}
            self.sections: dict[str, Section] = {}
            self.webhooks: dict[str, Webhook] = {}
            self.codes: dict[str, AuthCode] = {}
            self.grants: dict[str, Grant] = {}
            self.tokens: dict[str, AccessToken] = {}
            self.faults: list[Fault] = []
            self.request_log: list[LoggedRequest] = []
            # Per access token: times of its recent requests, for the per-minute rate limit.
            self.rate_windows: dict[str, list[float]] = {}
            self._seed()
            self._next_gid = max(self._next_gid, high_water)
            # Webhook deliveries waiting for the dispatcher (webhooks.py), and its log.
            self.outbox: list[Any] = []
            self.delivery_log: list[dict[str, Any]] = []
            self.webhook_faults: list[dict[str, Any]] = []
            self.changed.notify_all()

    def touch(self) -> None:
        """Something changed: the state file and the webhook dispatcher look again."""
        with self.lock:
            self.version += 1
            self.changed.notify_all()

    def sections_of(self, project: str) -> list[Section]:
        return sorted(
            (s for s in self.sections.values() if s.project == project),
            key=lambda s: (s.created_at, int(s.gid)),
        )

    def now(self) -> float:
        return time.time() + self.clock_offset

    def new_gid(self) -> str:
        with self.lock:
            gid = str(self._next_gid)
            self._next_gid += 1
            return gid

    def _seed(self) -> None:
        workspaces = [self.add(Workspace(self.new_gid(), name)) for name in SEED["workspaces"]]
        for ws in workspaces:
            ws.email_domains = ["acme.test"]
        users = [
            self.add(User(self.new_gid(), name, email, [workspaces[i].gid for i in member_of]))
            for name, email, member_of in SEED["users"]
        ]
        projects = [
            self.add(
                Project(
                    self.new_gid(),
                    name,
                    workspaces[ws].gid,
                    created_at=SEED_EPOCH + n * 3600,
                    color=color,
                    notes=PROJECT_NOTES,
                )
            )
            for n, (name, ws, color) in enumerate(SEED["projects"])
        ]
        tasks = []
        for n, (name, project_index, assignee_index, completed) in enumerate(SEED["tasks"]):
            project = projects[project_index]
            created = SEED_EPOCH + 86400 + n * 5400
            members = [u for u in users if project.workspace in u.workspaces]
            author = members[n % len(members)]
            assignee = users[assignee_index].gid if assignee_index is not None else None
            notes = f"Seeded task {n + 1} of {len(SEED['tasks'])} in {project.name}."
            task = Task(
                self.new_gid(),
                name,
                project.workspace,
                created_at=created,
                modified_at=created + (7200 if completed else 600),
                created_by=author.gid,
                projects=[project.gid],
                assignee=assignee,
                notes=notes,
                html_notes=_html_body(notes),
                completed=completed,
                completed_at=created + 7200 if completed else None,
                followers=[author.gid]
                + ([assignee] if assignee and assignee != author.gid else []),
            )
            tasks.append(self.add(task))
        for n, (task_index, author_index, text) in enumerate(SEED["stories"]):
            task = tasks[task_index]
            self.add(
                Story(
                    self.new_gid(),
                    task.gid,
                    users[author_index].gid,
                    created_at=task.created_at + 1800 * (n + 1),
                    text=text,
                    html_text=_html_body(text),
                )
            )
        # Last, so the gids above stay what they were before sections existed.
        for project in projects:
            created = project.created_at
            sections = [
                self.add(Section(self.new_gid(), name, project.gid, created_at=created + i))
                for i, name in enumerate(SEED["sections"])
            ]
            for task in tasks:
                if project.gid in task.projects:
                    task.sections[project.gid] = sections[2 if task.completed else 0].gid

    def add(self, obj: Any) -> Any:
        """File a resource under its kind; returns it."""
        table = {
            Workspace: self.workspaces,
            User: self.users,
            Project: self.projects,
            Task: self.tasks,
            Story: self.stories,
            Section: self.sections,
            Webhook: self.webhooks,
        }[type(obj)]
        table[obj.gid] = obj
        return obj

    # --- people ------------------------------------------------------------------------------

    def find_user(self, ref: str) -> User | None:
        """A user by gid or email (case-insensitive), as the consent page and tests name them."""
        if ref in self.users:
            return self.users[ref]
        ref = ref.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == ref), None)

    def first_user(self) -> User:
        return next(iter(self.users.values()))

    # --- OAuth -------------------------------------------------------------------------------

    def issue_code(
        self,
        user: str,
        redirect_uri: str,
        scopes: list[str],
        code_challenge: str | None,
        client_id: str | None = None,
    ) -> AuthCode:
        with self.lock:
            code = AuthCode(
                code=secrets.token_urlsafe(24),
                client_id=client_id or self.config.client_id,
                redirect_uri=redirect_uri,
                user=user,
                scopes=scopes,
                code_challenge=code_challenge,
                expires_at=self.now() + CODE_TTL,
            )
            self.codes[code.code] = code
            return code

    def issue_grant(self, user: str, scopes: list[str], client_id: str | None = None) -> Grant:
        with self.lock:
            grant = Grant(
                refresh_token=f"1/{user}:{secrets.token_hex(16)}",
                client_id=client_id or self.config.client_id,
                user=user,
                scopes=list(scopes),
                created_at=self.now(),
            )
            self.grants[grant.refresh_token] = grant
            return grant

    def issue_access_token(self, grant: Grant) -> AccessToken:
        with self.lock:
            token = AccessToken(
                token=f"2/{grant.user}/{secrets.token_hex(20)}",
                refresh_token=grant.refresh_token,
                user=grant.user,
                scopes=list(grant.scopes),
                expires_at=self.now() + self.config.token_ttl,
            )
            self.tokens[token.token] = token
            return token

    def token_answer(self, grant: Grant, *, include_refresh: bool) -> dict[str, Any]:
        """Asana's JSON answer to a token request, with a fresh access token."""
        access = self.issue_access_token(grant)
        user = self.users[grant.user]
        answer: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "bearer",
            "expires_in": self.config.token_ttl,
            # Asana's documented example gives `id` as a number beside the string `gid`.
            "data": {"id": int(user.gid), "gid": user.gid, "name": user.name, "email": user.email},
        }
        if include_refresh:
            answer["refresh_token"] = grant.refresh_token
        return answer

    def issue_tokens(self, user: str, scopes: list[str] | None = None) -> dict[str, Any]:
        """For tests: what a finished OAuth dance would answer, for a user gid or email."""
        with self.lock:
            found = self.find_user(user)
            if found is None:
                raise KeyError(f"No sandbox user {user!r}")
            grant = self.issue_grant(found.gid, scopes or ["default"])
            return self.token_answer(grant, include_refresh=True)

    def live_token(self, token: str) -> AccessToken | None:
        access = self.tokens.get(token)
        if access is None or access.revoked or access.expires_at <= self.now():
            return None
        grant = self.grants.get(access.refresh_token)
        if grant is not None and grant.revoked:
            return None
        return access

    def revoke_grant(self, refresh_token: str) -> None:
        with self.lock:
            grant = self.grants.get(refresh_token)
            if grant is not None:
                grant.revoked = True
            for access in self.tokens.values():
                if access.refresh_token == refresh_token:
                    access.revoked = True

    def expire_tokens(self) -> int:
        with self.lock:
            moment = self.now()
            for access in self.tokens.values():
                access.expires_at = min(access.expires_at, moment)
            return len(self.tokens)

    def revoke_all(self) -> int:
        with self.lock:
            for grant in self.grants.values():
                grant.revoked = True
            for access in self.tokens.values():
                access.revoked = True
            for code in self.codes.values():
                code.used = True
            return len(self.grants)

    # --- faults and the log ------------------------------------------------------------------

    def add_fault(self, **fields: Any) -> Fault:
        with self.lock:
            fault = Fault(id=self._next_fault_id, **fields)
            self._next_fault_id += 1
            self.faults.append(fault)
            return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first fault that matches, counted as used."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return copy.copy(fault)
            return None

    def log(self, entry: LoggedRequest) -> None:
        with self.lock:
            self.request_log.append(entry)

    # --- snapshots ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The data (not the secrets) as JSON-ready lists, for GET /_sandbox/state."""
        with self.lock:

            def rows(table: dict[str, Any], *dates: str) -> list[dict[str, Any]]:
                out = []
                for obj in table.values():
                    row = {"resource_type": obj.resource_type, **asdict(obj)}
                    for name in dates:
                        if row.get(name) is not None:
                            row[name] = iso(row[name])
                    out.append(row)
                return out

            return {
                "workspaces": rows(self.workspaces),
                "users": rows(self.users),
                "projects": rows(self.projects, "created_at"),
                "tasks": rows(self.tasks, "created_at", "modified_at", "completed_at"),
                "stories": rows(self.stories, "created_at"),
                "sections": rows(self.sections, "created_at"),
            }
