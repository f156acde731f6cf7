"""IssueTrackerPlugin: the part of an issue-tracker integration that does not depend on the tracker.

A plugin says how to talk to its tracker (`get_client`, `create_remote`, `fetch_remote`, ...),
brings its forms and wording, and this base does the rest: panel states, the idempotent create
flow, storing `ExternalIssue` rows with their Activity, the per-person cache. Every hook a view
or template uses is declared here; a second tracker is a sibling package of the first one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from django import forms
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from social_django.models import UserSocialAuth

from integrations import identities
from integrations.client import ApiClient
from integrations.exceptions import AlreadyLinked, ApiError, CreateInProgress
from integrations.models import ExternalIssue, PluginConfig
from tracker.links import http_url
from tracker.models import Activity, Issue, Project

T = TypeVar("T")


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
    # What the task card shows, when the tracker's answer carried it: stored with the link, so
    # nothing has to read the task again just after creating or linking it.
    details: dict[str, Any] = field(default_factory=dict)


class IssueTrackerPlugin:
    # The plugin's name in URLs, URL names and stored rows (`ExternalIssue.provider`).
    slug: ClassVar[str]
    # The tracker's name as people read it: headings, buttons, error messages.
    title: ClassVar[str]
    # The social-auth backend whose identities (UserSocialAuth.provider) act at the tracker.
    auth_provider: ClassVar[str]
    # The options a project must have before tasks can be created (e.g. a workspace).
    required_options: ClassVar[tuple[str, ...]] = ()
    # Shown in the panel and by autocomplete when the person has no usable identity.
    error_auth_not_configured: ClassVar[str]
    # Completes "<title> is not set up for <project> yet: …" in the panel.
    setup_hint: ClassVar[str] = "choose where its tasks go."
    # The create form's fields; a plugin with typeaheads or read-only context brings its own.
    create_fields_template: ClassVar[str] = "integrations/form_fields.html"
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
    # The create form needs `title` and an optional `idempotency_key`; the link form
    # `issue_id` (the task's id at the tracker, cleaned) and `comment`; the unlink form
    # `issue_id`.
    create_form_class: ClassVar[type[forms.Form]]
    link_form_class: ClassVar[type[forms.Form]]
    unlink_form_class: ClassVar[type[forms.Form]]
    # The tracker's choices of an automation rule's action (e.g. project, assignee), shown on
    # the rule form; None when tasks need nothing but the project's settings.
    rule_action_form_class: ClassVar[type[forms.Form] | None] = None

    # --- the tracker-specific part, implemented by each plugin -------------------------------

    def get_client(self, identity: UserSocialAuth) -> ApiClient:
        """A client acting at the tracker as the person who owns `identity`."""
        raise NotImplementedError

    def create_remote(
        self, client: Any, options: dict[str, Any], data: dict[str, Any]
    ) -> RemoteTask:
        """Create the task from the create form's cleaned data, in the place `options` name."""
        raise NotImplementedError

    def fetch_remote(self, client: Any, external_id: str) -> RemoteTask:
        """Read one task (link, status sync); ApiNotFound when it does not exist."""
        raise NotImplementedError

    def comment_remote(self, client: Any, external_id: str, comment: str) -> None:
        """Post `comment` on the task (link with a comment)."""
        raise NotImplementedError

    def complete_remote(self, client: Any, external_id: str, completed: bool) -> RemoteTask:
        """Mark the task completed or open again (resolution sync)."""
        raise NotImplementedError

    def search_remote(
        self, client: Any, options: dict[str, Any], field: str, query: str
    ) -> list[dict[str, str]]:
        """[{"id": id, "text": label}] for an autocomplete field."""
        raise NotImplementedError

    # --- hooks with a default ------------------------------------------------------------------

    def create_initial(self, issue: Issue, user: Any, options: dict[str, Any]) -> dict[str, Any]:
        """The create form's defaults."""
        return {"title": issue.title}

    def rule_task_data(self, issue: Issue, action: dict[str, Any]) -> dict[str, Any]:
        """The create data of the task an automation rule creates for `issue`, from the choices
        saved on the rule (the cleaned rule action form)."""
        return {**action, "title": issue.title}

    def resolve_rule_action(
        self, identity: Any, options: dict[str, Any], form: Any, data: dict[str, Any]
    ) -> None:
        """Turn the rule action form's typed names into ids in `data`, or raise InvalidInput."""
        self.resolve_typed_choices(identity, options, form, data)

    def resolve_typed_choices(
        self, identity: Any, options: dict[str, Any], form: Any, data: dict[str, Any]
    ) -> None:
        """Turn names typed without JavaScript into ids in `data`, or raise InvalidInput."""

    def option_label(self, field: str, result: dict[str, str]) -> str:
        """What a picked autocomplete option puts in the search box (its text by default)."""
        return result["text"]

    def worth_searching(self, field: str, query: str) -> bool:
        """Whether an autocomplete query needs the tracker (a pasted id does not)."""
        return True

    def message_from_error(self, error: Exception) -> str:
        """The sentence shown to the person for a failure, in this tracker's words."""
        if isinstance(error, ApiError):
            return error.message_for(self.title)
        return str(error)

    def describe_options(self, identity: Any, options: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, value) pairs the panel and the create form show about where tasks go,
        e.g. [("Workspace", "Engineering")]. Called only with a usable identity."""
        return []

    def settings_url(self, project_id: int) -> str:
        """The page where an owner configures the plugin for a project; "" when it has none."""
        return ""

    def extra_urlpatterns(self) -> list[URLPattern | URLResolver]:
        """URLs of the plugin's own pages (settings), added to the generated ones."""
        return []

    def identity_notice(self, identity: UserSocialAuth) -> str:
        """What this identity was not granted that a feature needs (e.g. a newer scope)."""
        return ""

    def connection_note(self) -> str:
        """A line for the identities page, e.g. that a sandbox stands in for the tracker."""
        return ""

    # --- configuration ------------------------------------------------------------------

    def get_options(self, project: Project) -> dict[str, Any]:
        config = PluginConfig.objects.filter(project=project, plugin=self.slug).first()
        return dict(config.options) if config else {}

    def save_options(self, project: Project, options: dict[str, Any], user: Any) -> PluginConfig:
        config, _ = PluginConfig.objects.get_or_create(project=project, plugin=self.slug)
        config.options = options
        config.updated_by = user
        config.save(update_fields=["options", "updated_by", "date_updated"])
        return config

    def is_configured(self, options: dict[str, Any]) -> bool:
        return all(options.get(name) for name in self.required_options)

    # --- identities and panel states ---------------------------------------------------

    def get_identity(self, user: Any) -> UserSocialAuth | None:
        return identities.get_identity(user, self.auth_provider)

    def panel_state(self, options: dict[str, Any], identity: UserSocialAuth | None) -> str:
        if not self.is_configured(options):
            return PanelState.NOT_CONFIGURED
        if identity is None:
            return PanelState.NO_IDENTITY
        if identities.needs_reconnect(identity):
            return PanelState.RECONNECT
        return PanelState.READY

    def linked_tasks(self, issue: Issue) -> QuerySet[ExternalIssue]:
        return ExternalIssue.objects.filter(issue=issue, provider=self.slug).select_related(
            "created_by"
        )

    # --- actions ------------------------------------------------------------------------

    def create(
        self,
        *,
        issue: Issue,
        user: Any,
        identity: UserSocialAuth,
        options: dict[str, Any],
        data: dict[str, Any],
        idempotency_key: str,
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

    def link(
        self, *, issue: Issue, user: Any, identity: UserSocialAuth, external_id: str, comment: str
    ) -> ExternalIssue:
        """Link an existing task, then comment on it. The mapping is stored after the tracker
        answered."""
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

    def unlink(self, *, issue: Issue, user: Any, external_id: str) -> ExternalIssue | None:
        """Forget the mapping. The task at the tracker is left as it is."""
        with transaction.atomic():
            mapping = self.linked_tasks(issue).filter(external_id=external_id).first()
            if mapping is None:
                return None
            mapping.delete()
            self._activity(issue, user, Activity.Kind.UNLINK_ISSUE, mapping.title, mapping.url)
        return mapping

    def sync_status(
        self, identity: UserSocialAuth, mappings: list[ExternalIssue]
    ) -> list[ExternalIssue]:
        """Refresh each task's title and completion from the tracker (status sync).

        A task read in the last minute is not read again: opening issues one after another
        costs one call per task a minute, not one per page view.
        """
        client = self.get_client(identity)
        for mapping in mappings:
            # Keyed by when the task's state was last stored: a read cached before a webhook
            # or the reconciliation stored a change must not undo it.
            key = self._task_key(identity, mapping.external_id, mapping.date_changed)
            remote = cache.get(key)
            if remote is None:
                remote = self.fetch_remote(client, mapping.external_id)
                cache.set(key, remote, self.status_cache_seconds)
            changed = (remote.title, remote.completed, remote.url) != (
                mapping.title,
                mapping.completed,
                mapping.url,
            )
            if changed:
                mapping.title, mapping.completed = remote.title, remote.completed
                mapping.url = remote.url or mapping.url
                mapping.date_changed = timezone.now()
                mapping.save(update_fields=["title", "completed", "url", "date_changed"])
        return mappings

    def follow_resolution(
        self, *, issue: Issue, identity: UserSocialAuth, completed: bool
    ) -> list[str]:
        """Complete (or reopen) the issue's linked tasks; returns a message per failure.

        Each task is tried on its own: one task the tracker refuses does not stop the others,
        and the issue's own status never depends on the tracker.
        """
        client = self.get_client(identity)
        failures = []
        for mapping in self.linked_tasks(issue).exclude(completed=completed):
            try:
                remote = self.complete_remote(client, mapping.external_id, completed)
            except ApiError as exc:  # IdentityRequired too: told, never raised
                failures.append(f"“{mapping.title}”: {self.message_from_error(exc)}")
                continue
            self._remember_task(identity, remote)
            mapping.completed = remote.completed
            mapping.save(update_fields=["completed"])
        return failures

    def autocomplete(
        self, *, identity: UserSocialAuth, options: dict[str, Any], field: str, query: str
    ) -> list[dict[str, str]]:
        return self.cached(
            identity,
            "ac",
            lambda: self.search_remote(self.get_client(identity), options, field, query),
            *(options.get(name, "") for name in self.required_options),
            field,
            query,
            seconds=self.autocomplete_cache_seconds,
        )

    def last_used(self, project: Project, user: Any) -> dict[str, str]:
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

    def cached(
        self,
        identity: UserSocialAuth,
        name: str,
        compute: Callable[[], T],
        *parts: object,
        seconds: int | None = None,
    ) -> T:
        """A per-person cache for answers of the tracker (options_cache_seconds by default)."""
        key = self._cache_key(name, identity, *parts)
        value: T | None = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, seconds or self.options_cache_seconds)
        return value

    def _task_key(
        self, identity: UserSocialAuth, external_id: str, changed: datetime | None = None
    ) -> str:
        version = changed.isoformat() if changed else ""
        return self._cache_key("task", identity, external_id, version)

    def _remember_task(self, identity: UserSocialAuth, remote: RemoteTask) -> None:
        # What the tracker just answered is fresh: the status sync need not ask again.
        cache.set(self._task_key(identity, remote.external_id), remote, self.status_cache_seconds)

    def _cache_key(self, name: str, identity: UserSocialAuth, *parts: object) -> str:
        digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
        return f"tasklink:{self.slug}:{name}:{identity.uid}:{digest}"

    def _mapping_for_key(self, idempotency_key: str) -> ExternalIssue | None:
        if not idempotency_key:
            return None
        mapping: ExternalIssue | None = ExternalIssue.objects.filter(
            idempotency_key=idempotency_key
        ).first()
        return mapping

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
        self,
        *,
        issue: Issue,
        user: Any,
        remote: RemoteTask,
        origin: str,
        activity: str,
        idempotency_key: str = "",
        choices: dict[str, str] | None = None,
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
                    details=remote.details,
                    created_by=user,
                    idempotency_key=idempotency_key,
                    choices=choices or {},
                )
                self._activity(issue, user, activity, mapping.title, mapping.url)
        except IntegrityError:
            # Two tabs linked the same task at once: the first mapping stands.
            raise AlreadyLinked(remote.external_id) from None
        return mapping

    def _activity(self, issue: Issue, user: Any, kind: str, title: str, url: str) -> None:
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
