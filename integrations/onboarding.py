"""The plugins' steps of the getting-started checklist (tracker/onboarding.py asks us)."""

from __future__ import annotations

from typing import Any

from integrations import registry
from tracker.onboarding import Step


def plugin_steps(user: Any) -> list[Step]:
    """Each plugin's steps, in the order of settings.TASKLINK_PLUGINS."""
    return [step for plugin in registry.plugins() for step in plugin.onboarding_steps(user)]
