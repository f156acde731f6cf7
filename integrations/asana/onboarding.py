"""The Asana steps of the getting-started checklist (AsanaPlugin.onboarding_steps)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from social_django.models import UserSocialAuth

from integrations.models import PluginConfig
from tracker.models import Membership, Project
from tracker.onboarding import Step


def asana_steps(user: AbstractBaseUser) -> list[Step]:
    # One query for both answers and for the project whose settings the last step opens.
    configured = PluginConfig.objects.filter(
        plugin="asana",
        options__has_key="workspace",
        project__organization__membership__user=OuterRef("pk"),
    ).exclude(options__workspace="")
    owned = Project.objects.filter(
        organization__membership__user=OuterRef("pk"),
        organization__membership__role=Membership.Role.OWNER,
    )
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            identity=Exists(UserSocialAuth.objects.filter(user=OuterRef("pk"), provider="asana")),
            workspace=Exists(configured),
            owned=Subquery(owned.order_by("-date_added", "-pk").values("pk")[:1]),
        )
        .values("identity", "workspace", "owned")
        .get()
    )
    settings_url = (
        reverse("plugin_asana_settings", args=[row["owned"]])
        if row["owned"]
        else reverse("project_list")
    )
    return [
        Step(
            "Connect Asana",
            row["identity"],
            reverse("identities"),
            "Tasklink creates tasks in Asana as you.",
        ),
        Step(
            "Choose a workspace",
            row["workspace"],
            settings_url,
            "In a project's Asana settings: where its tasks go.",
        ),
    ]
