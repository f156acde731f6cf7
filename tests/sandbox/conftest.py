"""The sandbox's own tests: people with tokens and the seed's gids, on the suite's one
sandbox (`sandbox` in tests/conftest.py: started once, reset to its seed before each test).

These tests need no database: they speak to the sandbox over HTTP only.
"""

from __future__ import annotations

import pytest

from asana_sandbox import SandboxServer

from .helpers import ADA, GRACE, KATHERINE, Client, client_for


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


@pytest.fixture
def compact(seed: dict[str, str]) -> dict[str, dict[str, str]]:
    """Seed objects as Asana shows them inside another object: gid, resource_type and name."""
    return {
        "grace": {"gid": seed["grace"], "resource_type": "user", "name": "Grace Hopper"},
        "backend": {"gid": seed["backend"], "resource_type": "project", "name": "Backend"},
        "engineering": {
            "gid": seed["engineering"],
            "resource_type": "workspace",
            "name": "Acme Engineering",
        },
    }
