"""The project's automation options that are not a rule: whether regressions reopen tasks.

Kept as a PluginConfig row of their own ("rules"), so a tracker's settings page, which saves
its whole options, never drops them.
"""

from __future__ import annotations

from typing import Any

from integrations.models import PluginConfig
from tracker.models import Project

SLUG = "rules"


def reopens(project: Project) -> bool:
    """Whether a regression reopens the issue's completed tasks: on unless turned off."""
    config = PluginConfig.objects.filter(project=project, plugin=SLUG).first()
    return bool(config.options.get("reopen_on_regression", True)) if config else True


def set_reopens(project: Project, value: bool, user: Any) -> None:
    config, _ = PluginConfig.objects.get_or_create(project=project, plugin=SLUG)
    config.options = {**config.options, "reopen_on_regression": value}
    config.updated_by = user
    config.save(update_fields=["options", "updated_by", "date_updated"])
