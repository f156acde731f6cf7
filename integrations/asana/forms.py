"""The Asana panel's forms. Field names follow Sentry's plugin: title, description, project,
assignee; issue_id and comment."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings

from integrations.asana.gids import gid_problem, parse_task_reference
from integrations.asana.webhooks import webhooks_reachable

# Sentry's help text for a configured workspace the person's identity cannot see.
WORKSPACE_NOT_VISIBLE_HELP = (
    "Your Asana identity does not have access to this workspace: it stays selected, but tasks "
    "are created with the identity of whoever creates them."
)


def clean_text(value: str) -> str:
    # Null bytes cannot be stored in PostgreSQL text and never mean anything in a task;
    # browsers send textarea line breaks as CRLF, Asana keeps plain newlines.
    return value.replace("\x00", "").replace("\r\n", "\n")


def clean_gid(value: str, what: str) -> str:
    value = (value or "").strip()
    if value and (problem := gid_problem(value, what)):
        raise forms.ValidationError(problem)
    return value


class TypeaheadMixin:
    """A typeahead field is a gid (hidden once picked) and the label the person typed."""

    data: Any  # the form's submitted data (forms.Form provides it)

    def resolved_label(self, field: str) -> str:
        return clean_text(self.data.get(f"{field}_label", ""))[:200].strip()

    def picked_is_current(self, field: str) -> bool:
        """Whether the id in `field` still belongs to its label. The typeahead sends the label
        an id was picked with (`<field>_picked`); a label edited since (without JavaScript, which
        would have cleared the id) means the person chose something else, or nothing."""
        if f"{field}_picked" not in self.data:
            return True  # an older form, or an API client: the id is what was meant
        picked = clean_text(self.data.get(f"{field}_picked", ""))[:200].strip()
        return picked == self.resolved_label(field)

    def current_gid(self, field: str, gid: str) -> str:
        return gid if self.picked_is_current(field) else ""


class CreateTaskForm(TypeaheadMixin, forms.Form):
    title = forms.CharField(label="Name", max_length=1024)
    description = forms.CharField(
        label="Notes", required=False, max_length=60000, widget=forms.Textarea(attrs={"rows": 8})
    )
    project = forms.CharField(
        label="Project", required=False, max_length=40, widget=forms.HiddenInput
    )
    assignee = forms.CharField(
        label="Assignee", required=False, max_length=40, widget=forms.HiddenInput
    )
    project_label = forms.CharField(required=False, max_length=200)
    assignee_label = forms.CharField(required=False, max_length=200)
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean_title(self) -> str:
        title = clean_text(self.cleaned_data["title"]).strip()
        if not title:
            raise forms.ValidationError("Give the task a name.")
        return title

    def clean_description(self) -> str:
        return clean_text(self.cleaned_data["description"])

    def clean_project(self) -> str:
        return self.current_gid("project", clean_gid(self.cleaned_data["project"], "project"))

    def clean_assignee(self) -> str:
        return self.current_gid("assignee", clean_gid(self.cleaned_data["assignee"], "assignee"))

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"].strip()
        if key and not all(c in "0123456789abcdef-" for c in key.lower()):
            raise forms.ValidationError("This form is out of date. Reload the page.")
        return key


class LinkTaskForm(TypeaheadMixin, forms.Form):
    # The picked task's id (hidden once picked); what the person typed or pasted is in
    # issue_id_label. Posting a gid or task URL as issue_id alone works too (Sentry's API).
    issue_id = forms.CharField(
        label="Task",
        required=False,
        max_length=500,
        help_text="Search by name, or paste an Asana task URL or its id.",
    )
    issue_id_label = forms.CharField(required=False, max_length=500)
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Posted on the task in Asana. Leave it empty to post no comment.",
    )

    # A name typed without JavaScript: the view lists the tasks it matches to pick from.
    search_query = ""

    def clean_issue_id(self) -> str:
        # A task picked from the matches listed without JavaScript wins over the typed name.
        picked = clean_text(self.data.get("issue_id_match", "")).strip() or self.current_gid(
            "issue_id", clean_text(self.cleaned_data["issue_id"]).strip()
        )
        label = clean_text(self.data.get("issue_id_label", ""))[:500].strip()
        value = picked or label
        if not value:
            raise forms.ValidationError("Search for a task, or paste an Asana task URL.")
        gid = parse_task_reference(value)
        if gid is None:
            self.search_query = value[:200]
            raise forms.ValidationError(
                "Pick a task from the list, or paste an Asana task URL "
                "(https://app.asana.com/0/…/…) or a task id."
            )
        return gid

    def clean_comment(self) -> str:
        return clean_text(self.cleaned_data["comment"]).strip()


class UnlinkTaskForm(forms.Form):
    issue_id = forms.CharField(max_length=32)

    def clean_issue_id(self) -> str:
        return clean_gid(self.cleaned_data["issue_id"], "task")


class SettingsForm(TypeaheadMixin, forms.Form):
    # A CharField, not a ChoiceField: a non-numeric value gets Sentry's message, not Django's.
    workspace = forms.CharField(label="Workspace", max_length=40, widget=forms.Select)
    project = forms.CharField(
        label="Default project", required=False, max_length=40, widget=forms.HiddenInput
    )
    assignee = forms.CharField(
        label="Default assignee", required=False, max_length=40, widget=forms.HiddenInput
    )
    project_label = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    assignee_label = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    sync_resolution = forms.BooleanField(
        required=False,
        label="Complete linked Asana tasks when an issue is resolved, and reopen them when it "
        "is reopened",
        help_text="Done as the person who changes the issue's status, with their Asana account.",
    )

    # Two-way sync (issue 16): what people may change from Asana. Off by default.
    asana_completes = forms.ChoiceField(
        required=False,
        label="When linked tasks are completed in Asana",
        choices=[
            ("off", "Leave the issue as it is"),
            ("all", "Resolve the issue once all its linked tasks are completed"),
            ("any", "Resolve the issue as soon as any linked task is completed"),
        ],
        widget=forms.RadioSelect,
    )
    asana_reopens = forms.BooleanField(
        required=False,
        label="Reopen a resolved issue when a linked task is reopened in Asana",
    )
    post_comments = forms.BooleanField(
        required=False,
        label="Post comments written in Tasklink to the linked Asana tasks",
        help_text="As the comment's author when they connected Asana, else as whoever linked "
        "the task, naming the author.",
    )

    def __init__(
        self,
        *args: Any,
        workspaces: list[dict[str, str]] | None,
        current: str = "",
        current_name: str = "",
        **kwargs: Any,
    ):
        """`workspaces` is None when Asana could not list them: the saved one stays, named as
        it was saved, and nothing claims the person lost access to it."""
        super().__init__(*args, **kwargs)
        self.initial["asana_completes"] = self.initial.get("asana_completes") or "off"
        known = workspaces is not None
        choices = [(w["gid"], w["name"]) for w in workspaces or []]
        self.workspace_hidden = bool(current) and current not in {gid for gid, _ in choices}
        if self.workspace_hidden:
            choices.append((current, current_name or f"Workspace {current}"))
            if known:
                self.fields["workspace"].help_text = WORKSPACE_NOT_VISIBLE_HELP
        if not current and len(choices) == 1:
            # One workspace: nothing to choose, it is preselected.
            self.initial["workspace"] = choices[0][0]
        self.allowed_workspaces = {gid for gid, _ in choices}
        self.workspace_names = dict(choices)
        self.fields["workspace"].widget.choices = [("", "Choose a workspace…"), *choices]

    def clean_asana_completes(self) -> str:
        return self.cleaned_data["asana_completes"] or "off"

    def sync_note(self) -> str:
        """How changes made in Asana reach Tasklink here: webhooks, or reconciliation alone."""
        minutes = max(settings.ASANA_RECONCILE_SECONDS // 60, 1)
        if webhooks_reachable():
            return (
                "Asana tells Tasklink about changes as they happen (webhooks); every "
                f"{minutes} min Tasklink also reads linked tasks again, for anything missed."
            )
        return (
            f"Asana cannot reach this Tasklink at {settings.APP_BASE_URL} (not a public "
            f"address), so changes made in Asana arrive by reconciliation only, every "
            f"{minutes} min. Set APP_BASE_URL to a public address for changes within seconds."
        )

    def clean_workspace(self) -> str:
        gid = clean_gid(self.cleaned_data["workspace"], "workspace")
        if gid not in self.allowed_workspaces:
            raise forms.ValidationError("Choose one of your Asana workspaces.")
        return gid

    def clean_project(self) -> str:
        return self.current_gid("project", clean_gid(self.cleaned_data["project"], "project"))

    def clean_assignee(self) -> str:
        return self.current_gid("assignee", clean_gid(self.cleaned_data["assignee"], "assignee"))
