"""IssueTrackerPlugin: the part of an issue-tracker integration that does not depend on the tracker.

A plugin says which actions exist (create, link, unlink, autocomplete, configure), how to talk
to its tracker (`get_client`, `create_remote`, `fetch_remote`, ...), and this base does the rest:
panel states, the idempotent create flow, storing `ExternalIssue` rows with their Activity, the
per-person cache. A second tracker is a sibling of `integrations/asana/`, not a copy of it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.cache import cache
from django.db import IntegrityError, transaction
from social_django.models import UserSocialAuth

from integrations import identities
from integrations.exceptions import ApiError
from integrations.models import ExternalIssue, PluginConfig
from tracker.links import http_url
from tracker.models import Activity, Issue, Project


class PanelState:
    NOT_CONFIGURED = "not_configured"
    NO_IDENTITY = "no_identity"
    RECONNECT = "reconnect"
    READY = "ready"


@dataclass(frozen=True)
class RemoteTask:
    """What Tasklink keeps of a task at the tracker."""

    external_id: str
    title: str
    url: str
    completed: bool = False


class CreateInProgress(Exception):
    """Another request holding the same idempotency key is creating the task right now."""


class IssueTrackerPlugin:
    slug: ClassVar[str]
    title: ClassVar[str]
    auth_provider: ClassVar[str]
    required_options: ClassVar[tuple[str, ...]] = ()
    error_auth_not_configured: ClassVar[str]
    # How long answers that rarely change are kept per person.
    options_cache_seconds: ClassVar[int] = 300
    autocomplete_cache_seconds: ClassVar[int] = 60
    status_cache_seconds: ClassVar[int] = 60
    # A second submit with the same idempotency key waits this long for the first to finish.
    create_lock_seconds: ClassVar[int] = 30
    # Create-form fields remembered as this person's defaults for the project's next task.
    remembered_choices: ClassVar[tuple[str, ...]] = ()
    # The form fields the autocomplete view answers for.
    autocomplete_fields: ClassVar[tuple[str, ...]] = ()
    # The forms of the panel's actions (Sentry's field names: title, description, ...;
    # issue_id, comment). Each plugin brings its own, as properties or class attributes.
    create_form_class: type
    link_form_class: type
    unlink_form_class: type

    # --- the tracker-specific part, implemented by each plugin -------------------------------

    def get_client(self, identity: UserSocialAuth):
        raise NotImplementedError

    def create_remote(self, client, options: dict, data: dict) -> RemoteTask:
        raise NotImplementedError

    def fetch_remote(self, client, external_id: str) -> RemoteTask:
        raise NotImplementedError

    def comment_remote(self, client, external_id: str, comment: str) -> None:
        raise NotImplementedError

    def complete_remote(self, client, external_id: str, completed: bool) -> RemoteTask:
        raise NotImplementedError

    def search_remote(self, client, options: dict, field: str, query: str) -> list[dict]:
        """[{"id": gid, "text": label}] for an autocomplete field."""
        raise NotImplementedError

    def create_initial(self, issue: Issue, user, options: dict) -> dict:
        """The create form's defaults."""
        return {"title": issue.title}

    def resolve_typed_choices(self, identity, options: dict, form, data: dict) -> None:
        """Turn names typed without JavaScript into ids, or raise ValueError saying why not."""

    def worth_searching(self, field: str, query: str) -> bool:
        return True

    # --- configuration ------------------------------------------------------------------

    def get_options(self, project: Project) -> dict[str, Any]:
        config = PluginConfig.objects.filter(project=project, plugin=self.slug).first()
        return dict(config.options) if config else {}

    def save_options(self, project: Project, options: dict[str, Any], user) -> PluginConfig:
        config, _ = PluginConfig.objects.get_or_create(project=project, plugin=self.slug)
        config.options = options
        config.updated_by = user
        config.save(update_fields=["options", "updated_by", "date_updated"])
        return config

    def is_configured(self, options: dict[str, Any]) -> bool:
        return all(options.get(name) for name in self.required_options)

    # --- identities and panel states ---------------------------------------------------

    def get_identity(self, user) -> UserSocialAuth | None:
        return identities.get_identity(user, self.auth_provider)

    def panel_state(self, options: dict, identity: UserSocialAuth | None) -> str:
        if not self.is_configured(options):
            return PanelState.NOT_CONFIGURED
        if identity is None:
            return PanelState.NO_IDENTITY
        if identities.needs_reconnect(identity):
            return PanelState.RECONNECT
        return PanelState.READY

    def linked_tasks(self, issue: Issue):
        return ExternalIssue.objects.filter(issue=issue, provider=self.slug).select_related(
            "created_by"
        )

    # --- actions ------------------------------------------------------------------------

    def create(
        self, *, issue: Issue, user, identity, options: dict, data: dict, idempotency_key: str
    ) -> tuple[ExternalIssue, bool]:
        """Create the remote task once per idempotency key. Returns (mapping, created_now)."""
        # A key counts on its own issue only: one seen on another issue (another
        # organization's, say) neither finds that issue's task nor waits on its lock.
        idempotency_key = scoped_key(issue, idempotency_key)
        existing = self._mapping_for_key(idempotency_key)
        if existing:
            return existing, False
        lock = f"tasklink:create:{idempotency_key}"
        if idempotency_key and not cache.add(lock, 1, self.create_lock_seconds):
            # A double submit: the first request is talking to the tracker. Wait for it.
            return self._wait_for_mapping(idempotency_key), False
        try:
            remote = self.create_remote(self.get_client(identity), options, data)
            self._remember_task(identity, remote)
            mapping = self._store(
                issue=issue,
                user=user,
                remote=remote,
                origin=ExternalIssue.Origin.CREATED,
                idempotency_key=idempotency_key,
                activity=Activity.Kind.CREATE_ISSUE,
                choices={key: data.get(key) or "" for key in self.remembered_choices},
            )
            return mapping, True
        finally:
            if idempotency_key:
                cache.delete(lock)

    def link(self, *, issue: Issue, user, identity, external_id: str, comment: str):
        """Link an existing task, then comment on it. The mapping is stored after Asana answered."""
        if self.linked_tasks(issue).filter(external_id=external_id).exists():
            raise AlreadyLinked(external_id)
        client = self.get_client(identity)
        remote = self.fetch_remote(client, external_id)
        self._remember_task(identity, remote)
        if comment:
            self.comment_remote(client, external_id, comment)
        return self._store(
            issue=issue,
            user=user,
            remote=remote,
            origin=ExternalIssue.Origin.LINKED,
            activity=Activity.Kind.LINK_ISSUE,
        )

    def unlink(self, *, issue: Issue, user, external_id: str) -> ExternalIssue | None:
        """Forget the mapping. The task at the tracker is left as it is."""
        with transaction.atomic():
            mapping = self.linked_tasks(issue).filter(external_id=external_id).first()
            if mapping is None:
                return None
            mapping.delete()
            self._activity(issue, user, Activity.Kind.UNLINK_ISSUE, mapping.title, mapping.url)
        return mapping

    def sync_status(self, identity, mappings: list[ExternalIssue]) -> list[ExternalIssue]:
        """Refresh each task's title and completion from the tracker (status sync).

        A task read in the last minute is not read again: opening issues one after another
        costs one call per task a minute, not one per page view.
        """
        client = self.get_client(identity)
        for mapping in mappings:
            remote = cache.get(self._task_key(identity, mapping.external_id))
            if remote is None:
                remote = self.fetch_remote(client, mapping.external_id)
                self._remember_task(identity, remote)
            changed = (remote.title, remote.completed, remote.url) != (
                mapping.title,
                mapping.completed,
                mapping.url,
            )
            if changed:
                mapping.title, mapping.completed = remote.title, remote.completed
                mapping.url = remote.url or mapping.url
                mapping.save(update_fields=["title", "completed", "url"])
        return mappings

    def follow_resolution(self, *, issue: Issue, identity, completed: bool) -> list[str]:
        """Complete (or reopen) the issue's linked tasks; returns a message per failure.

        Each task is tried on its own: one task Asana refuses does not stop the others, and
        the issue's own status never depends on Asana.
        """
        client = self.get_client(identity)
        failures = []
        for mapping in self.linked_tasks(issue).exclude(completed=completed):
            try:
                remote = self.complete_remote(client, mapping.external_id, completed)
            except ApiError as exc:  # IdentityRequired too: told, never raised
                failures.append(f"“{mapping.title}”: {exc}")
                continue
            self._remember_task(identity, remote)
            mapping.completed = remote.completed
            mapping.save(update_fields=["completed"])
        return failures

    def autocomplete(self, *, identity, options: dict, field: str, query: str) -> list[dict]:
        return self.cached(
            identity,
            "ac",
            lambda: self.search_remote(self.get_client(identity), options, field, query),
            options.get("workspace", ""),
            field,
            query,
            seconds=self.autocomplete_cache_seconds,
        )

    def last_used(self, project: Project, user) -> dict[str, str]:
        """What this person chose for their last task in this project: the next defaults."""
        latest = (
            ExternalIssue.objects.filter(
                issue__project=project,
                provider=self.slug,
                created_by=user,
                origin=ExternalIssue.Origin.CREATED,
            )
            .order_by("-date_added")
            .values_list("choices", flat=True)
            .first()
        )
        return dict(latest or {})

    # --- helpers ----------------------------------------------------------------------------

    def cached(self, identity, name: str, compute, *parts, seconds: int | None = None):
        """A per-person cache for answers of the tracker (options_cache_seconds by default)."""
        key = self._cache_key(name, identity, *parts)
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, seconds or self.options_cache_seconds)
        return value

    def _task_key(self, identity, external_id: str) -> str:
        return self._cache_key("task", identity, external_id)

    def _remember_task(self, identity, remote: RemoteTask) -> None:
        # What the tracker just answered is fresh: the status sync need not ask again.
        cache.set(self._task_key(identity, remote.external_id), remote, self.status_cache_seconds)

    def _cache_key(self, name: str, identity, *parts) -> str:
        digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
        return f"tasklink:{self.slug}:{name}:{identity.uid}:{digest}"

    def _mapping_for_key(self, idempotency_key: str) -> ExternalIssue | None:
        if not idempotency_key:
            return None
        return ExternalIssue.objects.filter(idempotency_key=idempotency_key).first()

    def _wait_for_mapping(self, idempotency_key: str) -> ExternalIssue:
        deadline = time.monotonic() + self.create_lock_seconds
        while time.monotonic() < deadline:
            mapping = self._mapping_for_key(idempotency_key)
            if mapping:
                return mapping
            if cache.get(f"tasklink:create:{idempotency_key}") is None:
                break  # the first request failed; this one reports it instead of retrying
            time.sleep(0.2)
        raise CreateInProgress(idempotency_key)

    def _store(
        self, *, issue, user, remote: RemoteTask, origin, activity, idempotency_key="", choices=None
    ) -> ExternalIssue:
        try:
            with transaction.atomic():
                mapping = ExternalIssue.objects.create(
                    issue=issue,
                    provider=self.slug,
                    external_id=remote.external_id,
                    title=remote.title[:1024],
                    url=remote.url[:1024],
                    origin=origin,
                    completed=remote.completed,
                    created_by=user,
                    idempotency_key=idempotency_key,
                    choices=choices or {},
                )
                self._activity(issue, user, activity, mapping.title, mapping.url)
        except IntegrityError:
            # Two tabs linked the same task at once: the first mapping stands.
            raise AlreadyLinked(remote.external_id) from None
        return mapping

    def _activity(self, issue, user, kind, title: str, url: str) -> None:
        Activity.objects.create(
            issue=issue,
            user=user,
            kind=kind,
            data={
                "provider": self.slug,
                "provider_title": self.title,
                "title": title,
                "url": http_url(url),  # stored only as http(s), as it is rendered
            },
        )


def scoped_key(issue: Issue, idempotency_key: str) -> str:
    """The stored key: a digest of the issue and the form's key (64 hex, the column's size)."""
    if not idempotency_key:
        return ""
    return hashlib.sha256(f"{issue.pk}:{idempotency_key}".encode()).hexdigest()


class AlreadyLinked(Exception):
    def __init__(self, external_id: str):
        super().__init__(f"Task {external_id} is already linked to this issue.")
        self.external_id = external_id
