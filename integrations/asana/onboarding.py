"""The Asana steps of the getting-started checklist (AsanaPlugin.onboarding_steps)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from social_django.models import UserSocialAuth

from integrations.models import PluginConfig
from tracker.compiled import USER_MARK, compiled, fetch
from tracker.models import Membership, Project
from tracker.onboarding import Step


@cache
def _state_sql() -> tuple[str, tuple[Any, ...]]:
    """One query for both answers and for the project whose settings the last step opens;
    compiled once (tracker/compiled.py): every page of a new person shows the checklist."""
    configured = PluginConfig.objects.filter(
        plugin="asana",
        options__has_key="workspace",
        project__organization__membership__user=OuterRef("pk"),
    ).exclude(options__workspace="")
    owned = Project.objects.filter(
        organization__membership__user=OuterRef("pk"),
        organization__membership__role=Membership.Role.OWNER,
    )
    state = (
        get_user_model()
        .objects.filter(pk=USER_MARK)
        .annotate(
            identity=Exists(UserSocialAuth.objects.filter(user=OuterRef("pk"), provider="asana")),
            workspace=Exists(configured),
            owned=Subquery(owned.order_by("-date_added", "-pk").values("pk")[:1]),
        )
        .values_list("identity", "workspace", "owned")
    )
    return compiled(state, USER_MARK)


def asana_steps(user: AbstractBaseUser) -> list[Step]:
    [(identity, workspace, owned)] = fetch(_state_sql(), user.pk, UserSocialAuth.objects.db)
    settings_url = (
        reverse("plugin_asana_settings", args=[owned]) if owned else reverse("project_list")
    )
    return [
        Step(
            "Connect Asana",
            bool(identity),
            reverse("identities"),
            "Tasklink creates tasks in Asana as you.",
        ),
        Step(
            "Choose a workspace",
            bool(workspace),
            settings_url,
            "In a project's Asana settings: where its tasks go.",
        ),
    ]
