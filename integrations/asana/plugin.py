"""AsanaPlugin: what Sentry's AsanaPlugin did, on Tasklink's issue pages."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver, path, reverse
from social_django.models import UserSocialAuth

from integrations.asana import onboarding, sync, views
from integrations.asana import webhooks as _webhooks  # noqa: F401  (connects its signals)
from integrations.asana.client import AsanaClient
from integrations.asana.forms import CreateTaskForm, LinkTaskForm, UnlinkTaskForm
from integrations.asana.gids import parse_task_reference
from integrations.asana.rich_text import notes_html, plain_html
from integrations.asana.rule_action import RuleActionForm
from integrations.base import IssueTrackerPlugin, RemoteTask
from integrations.exceptions import ApiError, ApiNotFound, InvalidInput
from tracker.models import Issue
from tracker.onboarding import Step

ASANA_URL = "https://app.asana.com"

logger = logging.getLogger("tasklink.plugins.asana")

# Asana names the field it refused first ("assignee: Not a recognized ID"): what to do then.
REFUSED_FIELDS = {
    "assignee": "Asana did not accept the assignee. Pick the person again from the list.",
    "projects": "Asana did not accept the project. Pick it again from the list.",
    "project": "Asana did not accept the project. Pick it again from the list.",
    "workspace": "Asana did not accept the workspace. An owner can choose it again in the "
    "project's Asana settings.",
    "name": "Asana did not accept the task's name. Shorten it and try again.",
    "notes": "Asana did not accept the notes. Shorten them and try again.",
    "html_notes": "Asana did not accept the notes. Shorten them and try again.",
    "text": "Asana did not accept the comment. Shorten it and try again.",
}
NOT_FOUND = (
    "Asana could not find that task, project or person: it may have been deleted, or your "
    "Asana account cannot see it. Check the link or id, or search for it by name."
)
REFUSED = "Asana refused the request. Check what you entered and try again."
# Asana's errors name the field first: "assignee: Not a recognized ID: 12".
ASANA_FIELD_ERROR = re.compile(r"^([a-z_]+)(?:\[\d+\])?: ")

ERR_AUTH_NOT_CONFIGURED = "You still need to associate an Asana identity with this account."

# The types Asana's typeahead searches for each autocomplete field of the forms.
AUTOCOMPLETE_TYPES = {"issue_id": "task", "project": "project", "assignee": "user"}


class AsanaPlugin(IssueTrackerPlugin):
    slug = "asana"
    title = "Asana"
    auth_provider = "asana"
    required_options = ("workspace",)
    error_auth_not_configured = ERR_AUTH_NOT_CONFIGURED
    setup_hint = "choose the workspace its tasks go to."
    create_fields_template = "integrations/asana/create_fields.html"
    remembered_choices = ("project", "project_label", "assignee", "assignee_label")

    autocomplete_fields = tuple(AUTOCOMPLETE_TYPES)

    create_form_class = CreateTaskForm
    link_form_class = LinkTaskForm
    unlink_form_class = UnlinkTaskForm
    rule_action_form_class = RuleActionForm

    def settings_url(self, project_id: int) -> str:
        return reverse("plugin_asana_settings", args=[project_id])

    def onboarding_steps(self, user: Any) -> list[Step]:
        return onboarding.asana_steps(user)

    def extra_urlpatterns(self) -> list[URLPattern | URLResolver]:
        settings_path = "projects/<int:project_id>/plugins/asana/"
        return [
            path(
                settings_path, views.settings_view, {"plugin": self}, name="plugin_asana_settings"
            ),
            path(
                f"{settings_path}autocomplete/",
                views.settings_autocomplete_view,
                {"plugin": self},
                name="plugin_asana_settings_autocomplete",
            ),
        ]

    def message_from_error(self, error: Exception) -> str:
        """Tasklink's words for what went wrong and what to do. Asana's own text ("task:
        Unknown object: 1299…", "Please retry after…") goes to the log, never to people."""
        if not isinstance(error, ApiError) or not error.remote_message:
            return super().message_from_error(error)
        status = error.status or 0
        logger.info("Asana answered HTTP %s: %s", status, error.remote_message)
        if isinstance(error, ApiNotFound):
            return NOT_FOUND
        if type(error) is ApiError:
            field = ASANA_FIELD_ERROR.match(error.remote_message)
            if field is None:
                return error.remote_message  # a sentence of Tasklink's own (client.py)
            return REFUSED_FIELDS.get(field.group(1), REFUSED)
        # Rate limits, refused permissions, dead tokens: the exception's own Tasklink words.
        ours = copy.copy(error)
        ours.remote_message = None
        return ours.message_for(self.title)

    def describe_options(self, identity: Any, options: dict[str, Any]) -> list[tuple[str, str]]:
        gid = options.get("workspace", "")
        try:
            name = self.workspace_name(identity, gid)
        except ApiError:  # the panel shows without Asana: the name saved with it does
            name = None
        return [("Workspace", name or options.get("workspace_name") or f"Workspace {gid}")]

    def identity_notice(self, identity: UserSocialAuth) -> str:
        missing = sync.missing_scopes(identity)
        if not missing:
            return ""
        return (
            "Tasklink needs one more permission from Asana to hear about changes made there "
            f"({', '.join(missing)}): reconnect to grant it. Until then changes made in Asana "
            "arrive with the periodic check."
        )

    def connection_note(self) -> str:
        base = settings.ASANA_BASE_URL
        if base == ASANA_URL:
            return ""
        return f"This Tasklink talks to the Asana sandbox at {base}, not app.asana.com."

    def create_initial(self, issue: Issue, user: Any, options: dict[str, Any]) -> dict[str, Any]:
        """Name and notes from the issue; project and assignee from the settings, else from
        what this person chose last time in this project."""
        initial = {"title": issue.title, "description": default_notes(issue)}
        remembered = self.last_used(issue.project, user)
        for name in ("project", "assignee"):
            source = options if options.get(name) else remembered
            initial[name] = source.get(name, "")
            initial[f"{name}_label"] = source.get(f"{name}_label", "")
        return initial

    def option_label(self, field: str, result: dict[str, str]) -> str:
        # A picked task shows its name; "(#gid) name" is Sentry's text for the list only.
        text = result["text"]
        prefix = f"(#{result['id']}) "
        return text[len(prefix) :] if field == "issue_id" and text.startswith(prefix) else text

    def worth_searching(self, field: str, query: str) -> bool:
        # A pasted task URL or gid needs no search; it is used as it is.
        return not (field == "issue_id" and parse_task_reference(query))

    def resolve_typed_choices(
        self, identity: UserSocialAuth, options: dict[str, Any], form: Any, data: dict[str, Any]
    ) -> None:
        """Without JavaScript a person types a project or assignee name instead of picking
        one: find it, or say what is wrong."""
        for name in ("project", "assignee"):
            label = form.resolved_label(name)
            data[f"{name}_label"] = label
            if data.get(name) or not label:
                continue
            matches = self.autocomplete(identity=identity, options=options, field=name, query=label)
            exact = [m for m in matches if m["text"].split(" <")[0].lower() == label.lower()]
            chosen = exact if exact else matches
            if len(chosen) != 1:
                what = "assignee" if name == "assignee" else "project"
                raise InvalidInput(
                    f"No Asana {what} matches “{label}”. Pick one from the list."
                    if not chosen
                    else f"“{label}” matches several Asana {what}s; pick one from the list."
                )
            data[name], data[f"{name}_label"] = chosen[0]["id"], chosen[0]["text"]

    def rule_task_data(self, issue: Issue, action: dict[str, Any]) -> dict[str, Any]:
        data = {"title": issue.title, "description": default_notes(issue)}
        return data | {name: action.get(name, "") for name in ("project", "section", "assignee")}

    def resolve_rule_action(
        self, identity: UserSocialAuth, options: dict[str, Any], form: Any, data: dict[str, Any]
    ) -> None:
        """Project and assignee as the create form resolves them; the section by its name."""
        self.resolve_typed_choices(identity, options, form, data)
        label = form.resolved_label("section")
        data["section"], data["section_label"] = "", label
        if not label:
            return
        answer = self.get_client(identity).get_sections(data["project"])
        found = [s for s in answer["data"] if str(s.get("name", "")).lower() == label.lower()]
        if not found:
            names = ", ".join(f"“{s.get('name')}”" for s in answer["data"]) or "none"
            raise InvalidInput(f"The project has no section “{label}”. Its sections: {names}.")
        data["section"], data["section_label"] = str(found[0]["gid"]), found[0].get("name", label)

    def get_client(self, identity: UserSocialAuth) -> AsanaClient:
        return AsanaClient(auth=identity)

    def get_workspaces(self, identity: UserSocialAuth) -> list[dict[str, str]]:
        """The person's workspaces as [{"gid", "name"}], cached for five minutes per person."""

        def fetch() -> list[dict[str, str]]:
            answer = self.get_client(identity).get_workspaces()
            return [{"gid": str(w["gid"]), "name": w.get("name", "")} for w in answer["data"]]

        return self.cached(identity, "workspaces", fetch)

    def workspace_name(self, identity: UserSocialAuth, gid: str) -> str | None:
        for workspace in self.get_workspaces(identity):
            if workspace["gid"] == gid:
                return workspace["name"]
        return None

    def create_remote(
        self, client: Any, options: dict[str, Any], data: dict[str, Any]
    ) -> RemoteTask:
        html = notes_html(data.get("description") or "")
        if html != plain_html(data.get("description") or ""):
            # Asana renders no Markdown: rich text shows the stack trace as code, links as links.
            data = {**data, "html_notes": html}
        answer = client.create_issue(options["workspace"], data)
        return self._task(answer)

    def fetch_remote(self, client: Any, external_id: str) -> RemoteTask:
        return self._task(client.get_issue(external_id))

    def comment_remote(self, client: Any, external_id: str, comment: str) -> None:
        # Never shown back as an Asana comment: recognized by its text until Asana answers
        # (its event may come first), then by the story Asana answered with, for good.
        sync.expect_echo(external_id, "comment", comment)
        sync.mark_ours(external_id, client.create_comment(external_id, {"comment": comment}))

    def complete_remote(self, client: Any, external_id: str, completed: bool) -> RemoteTask:
        # Recorded first: Asana's event about it may arrive before this call returns.
        sync.expect_echo(external_id, "completed", completed)
        return self._task(client.set_completed(external_id, completed))

    def search_remote(
        self, client: Any, options: dict[str, Any], field: str, query: str
    ) -> list[dict[str, str]]:
        answer = client.search(options["workspace"], AUTOCOMPLETE_TYPES[field], query)
        results = []
        for item in answer.get("data") or []:
            gid, name = str(item.get("gid", "")), item.get("name") or ""
            if field == "issue_id":
                text = f"(#{gid}) {name}"
            elif field == "assignee" and item.get("email"):
                text = f"{name} <{item['email']}>"
            else:
                text = name
            results.append({"text": text, "id": gid})
        return results

    @staticmethod
    def _task(answer: dict[str, Any]) -> RemoteTask:
        task = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(task, dict) or not task.get("gid"):
            raise ApiError(502, "Asana answered without the task. Please try again.")
        return RemoteTask(
            external_id=str(task["gid"]),
            title=str(task.get("name") or f"Task {task['gid']}"),
            url=str(task.get("permalink_url") or ""),
            completed=bool(task.get("completed")),
            details=sync.task_details(task) if "memberships" in task else {},
        )


def default_notes(issue: Issue) -> str:
    """The issue's link, then the latest event's stack trace: plain text a person reads as it
    is (no Markdown fences); sent to Asana as rich text with the trace in <pre>."""
    notes = f"{issue.absolute_url()}?referrer=asana_plugin"
    event = issue.events.first()
    if event is not None:
        notes += f"\n\n{event.stacktrace_text()}"
    return notes


plugin = AsanaPlugin()
