"""AsanaPlugin: what Sentry's AsanaPlugin did, on Tasklink's issue pages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from integrations.asana.client import AsanaClient
from integrations.base import IssueTrackerPlugin, RemoteTask
from integrations.exceptions import ApiError

ERR_AUTH_NOT_CONFIGURED = "You still need to associate an Asana identity with this account."

# Sentry's help text for a configured workspace the person's identity cannot see.
WORKSPACE_NOT_VISIBLE_HELP = (
    "Your Asana identity does not have access to this workspace: it stays selected, but tasks "
    "are created with the identity of whoever creates them."
)

# The types Asana's typeahead searches for each autocomplete field of the forms.
AUTOCOMPLETE_TYPES = {"issue_id": "task", "project": "project", "assignee": "user"}

_GID = re.compile(r"^\d{1,32}$")


def parse_task_reference(value: str) -> str | None:
    """A task gid from a gid or a pasted Asana task URL, or None if it is neither.

    Asana's task URLs come as https://app.asana.com/0/<project>/<task>[/f] and
    https://app.asana.com/1/<workspace>/task/<task> (also .../project/<p>/task/<task>).
    """
    value = value.strip()
    if _GID.match(value):
        return value
    try:
        path = urlsplit(value).path
    except ValueError:  # "http://[::1": not a URL at all, so not a task reference
        return None
    parts = [part for part in path.split("/") if part]
    if "task" in parts:
        index = parts.index("task")
        candidate = parts[index + 1] if index + 1 < len(parts) else ""
    elif len(parts) >= 3 and parts[0] == "0":
        candidate = parts[2]
    else:
        return None
    return candidate if _GID.match(candidate) else None


class AsanaPlugin(IssueTrackerPlugin):
    slug = "asana"
    title = "Asana"
    auth_provider = "asana"
    required_options = ("workspace",)
    error_auth_not_configured = ERR_AUTH_NOT_CONFIGURED
    workspace_not_visible_help = WORKSPACE_NOT_VISIBLE_HELP
    remembered_choices = ("project", "project_label", "assignee", "assignee_label")

    autocomplete_fields = tuple(AUTOCOMPLETE_TYPES)

    @property
    def create_form_class(self):
        from integrations.asana.forms import CreateTaskForm

        return CreateTaskForm

    @property
    def link_form_class(self):
        from integrations.asana.forms import LinkTaskForm

        return LinkTaskForm

    @property
    def unlink_form_class(self):
        from integrations.asana.forms import UnlinkTaskForm

        return UnlinkTaskForm

    def create_initial(self, issue, user, options: dict) -> dict:
        """Name and notes from the issue; project and assignee from the settings, else from
        what this person chose last time in this project."""
        initial = {"title": issue.title, "description": default_notes(issue)}
        remembered = self.last_used(issue.project, user)
        for name in ("project", "assignee"):
            source = options if options.get(name) else remembered
            initial[name] = source.get(name, "")
            initial[f"{name}_label"] = source.get(f"{name}_label", "")
        return initial

    def worth_searching(self, field: str, query: str) -> bool:
        # A pasted task URL or gid needs no search; it is used as it is.
        return not (field == "issue_id" and parse_task_reference(query))

    def resolve_typed_choices(self, identity, options: dict, form, data: dict) -> None:
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
                raise ValueError(
                    f"No Asana {what} matches “{label}”. Pick one from the list."
                    if not chosen
                    else f"“{label}” matches several Asana {what}s; pick one from the list."
                )
            data[name], data[f"{name}_label"] = chosen[0]["id"], chosen[0]["text"]

    def get_client(self, identity) -> AsanaClient:
        return AsanaClient(auth=identity)

    def get_workspaces(self, identity) -> list[dict]:
        """The person's workspaces as [{"gid", "name"}], cached for five minutes per person."""

        def fetch():
            answer = self.get_client(identity).get_workspaces()
            return [{"gid": str(w["gid"]), "name": w.get("name", "")} for w in answer["data"]]

        return self.cached(identity, "workspaces", fetch)

    def workspace_name(self, identity, gid: str) -> str | None:
        for workspace in self.get_workspaces(identity):
            if workspace["gid"] == gid:
                return workspace["name"]
        return None

    def create_remote(self, client, options: dict, data: dict) -> RemoteTask:
        answer = client.create_issue(options["workspace"], data)
        return self._task(answer)

    def fetch_remote(self, client, external_id: str) -> RemoteTask:
        return self._task(client.get_issue(external_id))

    def comment_remote(self, client, external_id: str, comment: str) -> None:
        client.create_comment(external_id, {"comment": comment})

    def complete_remote(self, client, external_id: str, completed: bool) -> RemoteTask:
        return self._task(client.set_completed(external_id, completed))

    def search_remote(self, client, options: dict, field: str, query: str) -> list[dict]:
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
    def _task(answer: dict) -> RemoteTask:
        task = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(task, dict) or not task.get("gid"):
            raise ApiError(502, "Asana answered without the task. Please try again.")
        return RemoteTask(
            external_id=str(task["gid"]),
            title=str(task.get("name") or f"Task {task['gid']}"),
            url=str(task.get("permalink_url") or ""),
            completed=bool(task.get("completed")),
        )


def default_notes(issue) -> str:
    """The issue's link, then the latest event's exception and stack trace in a code block."""
    notes = f"{issue.absolute_url()}?referrer=asana_plugin"
    event = issue.events.first()
    if event is not None:
        notes += f"\n\n```\n{event.stacktrace_text()}\n```"
    return notes


plugin = AsanaPlugin()
