"""AsanaClient: Asana's REST API, spoken as the person who connected their Asana account.

The methods and their arguments are those of Sentry's sentry_plugins AsanaClient, so the plugin
code reads the same; answers are Asana's JSON (`{"data": ...}`).
Reference: https://developers.asana.com/reference/rest-api-reference
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

from integrations.asana.gids import is_gid
from integrations.client import MALFORMED_RESPONSE, AuthApiClient
from integrations.exceptions import ApiError

# A guard against a server that hands out next_page forever.
MAX_PAGES = 500
# Enough for the link and the task card (assignee, project and section, due date) at once.
TASK_FIELDS = (
    "name,permalink_url,completed,assignee.name,projects.name,workspace.name,due_on,"
    "memberships.project.name,memberships.section.name,modified_at"
)


def gid(value: Any) -> str:
    """An Asana id as a string; anything else is refused before it can reach a URL path."""
    text = str(value).strip() if value is not None else ""
    if not is_gid(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ApiError(400, f"“{shown}” is not a valid Asana ID: Asana IDs are numbers.")
    return text


class AsanaClient(AuthApiClient):
    tracker_name = "Asana"
    # ASANA_CONNECT_TIMEOUT, ASANA_READ_TIMEOUT, ASANA_MAX_RETRY_WAIT
    settings_prefix = "ASANA"
    # Items per page of a list: Asana's maximum, so a list costs as few calls as it can.
    page_limit = 100

    # The base declares a plain attribute; here it is computed at call time, because the
    # sandbox and Asana differ only by this setting (mypy cannot see a property may do that).
    @property
    def base_url(self) -> str:  # type: ignore[override]
        return settings.ASANA_BASE_URL.rstrip("/") + "/api/1.0"

    def error_message(self, response: requests.Response) -> str | None:
        """Asana's error messages (`errors[].message`), joined; None when the body has none."""
        try:
            body = response.json()
        except ValueError:
            return None
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list):
            return None
        messages = [
            str(error["message"]).strip()
            for error in errors
            if isinstance(error, dict) and error.get("message")
        ]
        return "; ".join(messages) or None

    # Reference: https://developers.asana.com/reference/getworkspaces
    def get_workspaces(self) -> dict[str, Any]:
        return self.all_pages("/workspaces", {})

    # Reference: https://developers.asana.com/reference/gettask
    def get_issue(self, issue_id: str | int) -> dict[str, Any]:
        answer: dict[str, Any] = self.get(
            f"/tasks/{gid(issue_id)}", params={"opt_fields": TASK_FIELDS}
        )
        return answer

    # Reference: https://developers.asana.com/reference/createtask
    def create_issue(self, workspace: str | int, data: dict[str, Any]) -> dict[str, Any]:
        task: dict[str, Any] = {"name": data["title"], "workspace": gid(workspace)}
        # Rich text when the caller made it (Asana takes one of notes and html_notes).
        if data.get("html_notes"):
            task["html_notes"] = data["html_notes"]
        else:
            task["notes"] = data.get("description") or ""
        if data.get("project") and data.get("section"):
            # Create-only: the task starts in that section of the project (one call, not two).
            task["memberships"] = [
                {"project": gid(data["project"]), "section": gid(data["section"])}
            ]
        elif data.get("project"):
            task["projects"] = [gid(data["project"])]
        if data.get("assignee"):
            task["assignee"] = str(data["assignee"])
        answer: dict[str, Any] = self.post(
            "/tasks", data={"data": task}, params={"opt_fields": TASK_FIELDS}
        )
        return answer

    # Reference: https://developers.asana.com/reference/updatetask
    def set_completed(self, issue_id: str | int, completed: bool) -> dict[str, Any]:
        answer: dict[str, Any] = self.put(
            f"/tasks/{gid(issue_id)}",
            data={"data": {"completed": completed}},
            params={"opt_fields": TASK_FIELDS},
        )
        return answer

    # Reference: https://developers.asana.com/reference/createstoryfortask
    def create_comment(self, issue_id: str | int, data: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.post(
            f"/tasks/{gid(issue_id)}/stories", data={"data": {"text": data["comment"]}}
        )
        return answer

    # Reference: https://developers.asana.com/reference/typeaheadforworkspace
    def search(
        self, workspace: str | int, object_type: str, query: str, count: int = 20
    ) -> dict[str, Any]:
        # `resource_type`, not the deprecated `type` Sentry's client still sends.
        params = {
            "resource_type": object_type,
            "query": query,
            "count": count,
            "opt_fields": "name,email" if object_type == "user" else "name",
        }
        answer: dict[str, Any] = self.get(f"/workspaces/{gid(workspace)}/typeahead", params=params)
        return answer

    # Reference: https://developers.asana.com/reference/getprojectsforworkspace
    def get_projects(self, workspace: str | int) -> dict[str, Any]:
        return self.all_pages(f"/workspaces/{gid(workspace)}/projects", {"archived": "false"})

    # Reference: https://developers.asana.com/reference/getsectionsforproject
    def get_sections(self, project: str | int) -> dict[str, Any]:
        return self.all_pages(f"/projects/{gid(project)}/sections", {})

    # Reference: https://developers.asana.com/reference/getuser
    def get_me(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.get("/users/me")
        return answer

    def all_pages(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """Every item of a paginated list, following `next_page.offset` to the end."""
        items: list[Any] = []
        query = {**params, "limit": self.page_limit}
        for _ in range(MAX_PAGES):
            page = self.get(path, params=query)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise ApiError(200, template=MALFORMED_RESPONSE)
            items.extend(page["data"])
            offset = (page.get("next_page") or {}).get("offset")
            if not offset:
                break
            # The offset only, never next_page.uri: the host stays the one we trust.
            query = {**params, "limit": self.page_limit, "offset": offset}
        return {"data": items}
