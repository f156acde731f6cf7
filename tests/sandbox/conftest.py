"""One sandbox for the whole session, reset to its seed before every test.

The sandbox needs no database and no Django settings: these are plain pytest tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from asana_sandbox import SandboxServer, start_sandbox

from .helpers import ADA, GRACE, KATHERINE, Client, client_for


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(sandbox: SandboxServer) -> None:
    """Every test starts from the seed, with the default configuration and no tokens."""
    response = requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5)
    assert response.status_code == 200


@pytest.fixture
def ada(sandbox: SandboxServer) -> Client:
    return client_for(sandbox, ADA)


@pytest.fixture
def katherine(sandbox: SandboxServer) -> Client:
    return client_for(sandbox, KATHERINE)


@pytest.fixture
def seed(sandbox: SandboxServer) -> dict[str, str]:
    """Gids of the seed the tests name."""
    state = sandbox.state

    def workspace(word: str) -> str:
        return next(w.gid for w in state.workspaces.values() if word in w.name)

    def project(name: str) -> str:
        return next(p.gid for p in state.projects.values() if p.name == name)

    return {
        "engineering": workspace("Engineering"),
        "marketing": workspace("Marketing"),
        "backend": project("Backend"),
        "website": project("Website Redesign"),
        "ada": state.find_user(ADA).gid,
        "grace": state.find_user(GRACE).gid,
        "katherine": state.find_user(KATHERINE).gid,
        "engineering_task": next(
            t.gid for t in state.tasks.values() if t.name.startswith("Fix N+1")
        ),
        "marketing_task": next(
            t.gid for t in state.tasks.values() if t.name == "New pricing page copy"
        ),
    }
