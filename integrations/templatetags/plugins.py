"""Template filters asking a plugin about an identity."""

from __future__ import annotations

from typing import Any

from django import template

from integrations.base import IssueTrackerPlugin

register = template.Library()


@register.filter
def identity_notice(plugin: IssueTrackerPlugin, identity: Any) -> str:
    """What a connected identity still lacks, in words ("" when nothing)."""
    return plugin.identity_notice(identity) if identity is not None else ""
