"""`--state-file PATH`: the sandbox's world kept across restarts, as JSON.

Without it, `make demo` twice would hand out the same task gids again while Tasklink's database
still links the old ones. Saved: the data, the OAuth grants and tokens, the webhooks, and the
gid counter (so no gid is ever issued twice). Not saved: codes (minutes-long), faults, logs and
queued deliveries (Asana's delivery is at most once: a restart may drop some, as Asana may).
The file is written whole to a temporary file and renamed over the old one, so a crash leaves
either the old state or the new, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .state import (
    AccessToken,
    Grant,
    Project,
    SandboxState,
    Section,
    Story,
    Task,
    User,
    Webhook,
    Worker,
    Workspace,
)

FORMAT = 1
# attribute of SandboxState -> the dataclass of its values, keyed by this field
TABLES: dict[str, tuple[type, str]] = {
    "workspaces": (Workspace, "gid"),
    "users": (User, "gid"),
    "projects": (Project, "gid"),
    "sections": (Section, "gid"),
    "tasks": (Task, "gid"),
    "stories": (Story, "gid"),
    "webhooks": (Webhook, "gid"),
    "grants": (Grant, "refresh_token"),
    "tokens": (AccessToken, "token"),
}


def dump(state: SandboxState) -> dict[str, Any]:
    with state.lock:
        document: dict[str, Any] = {"format": FORMAT, "next_gid": state._next_gid}
        for name in TABLES:
            document[name] = [asdict(obj) for obj in getattr(state, name).values()]
        return document


def save(state: SandboxState, path: Path) -> None:
    save_document(dump(state), path)


def load(state: SandboxState, path: Path) -> bool:
    """Replace the world with the file's; False (world untouched) if there is no file. A file
    that cannot be read raises ValueError naming it: better to stop than to lose it."""
    if not path.exists():
        return False
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError(f"unknown format {document.get('format')!r}")
        tables = {}
        for name, (kind, key) in TABLES.items():
            known = {f.name for f in fields(kind)}
            rows = [kind(**{k: v for k, v in row.items() if k in known}) for row in document[name]]
            tables[name] = {getattr(row, key): row for row in rows}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"Cannot read the sandbox state file {path}: {error}") from error
    with state.lock:
        for name, table in tables.items():
            setattr(state, name, table)
        highest = max((int(g) for g in _gids(tables)), default=0)
        state._next_gid = max(int(document["next_gid"]), highest + 1, state._next_gid)
    return True


def _gids(tables: dict[str, dict[str, Any]]) -> list[str]:
    return [gid for name, table in tables.items() if TABLES[name][1] == "gid" for gid in table]


class Saver(Worker):
    """Writes the file soon after each change (and once more on stop), from its own thread."""

    name = "asana-sandbox-state"

    def __init__(self, state: SandboxState, path: Path) -> None:
        super().__init__(state)
        self.path = path
        self._saved = -1

    def stop(self) -> None:
        super().stop()
        self.save_now()

    def save_now(self) -> None:
        with self.state.lock:
            version = self.state.version
            document = dump(self.state)
        if version != self._saved:
            save_document(document, self.path)
            self._saved = version

    def _run(self) -> None:
        while True:
            with self.state.lock:
                while self.state.version == self._saved and not self.stopping:
                    self.state.changed.wait(timeout=5)
                if self.stopping:
                    return
            self.save_now()


def save_document(document: dict[str, Any], path: Path) -> None:
    _write_atomically(json.dumps(document, indent=1), path)


def _write_atomically(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
