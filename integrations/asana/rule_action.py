"""What an automation rule's Asana task gets: a project, a section of it, an assignee."""

from __future__ import annotations

from typing import Any

from django import forms

from integrations.asana.forms import TypeaheadMixin, clean_gid, clean_text


class RuleActionForm(TypeaheadMixin, forms.Form):
    """Project and assignee as on the create form (a gid, or a name typed without JavaScript,
    resolved on save); the section by its name in that project."""

    project = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    project_label = forms.CharField(label="Asana project", required=False, max_length=200)
    section_label = forms.CharField(
        label="Section",
        required=False,
        max_length=200,
        help_text="The section's name in that project; empty for the project's first section.",
    )
    assignee = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    assignee_label = forms.CharField(label="Assignee", required=False, max_length=200)

    def resolved_label(self, field: str) -> str:
        # The rule page prefixes these fields ("action-…"): read the label under its prefix.
        label: str = self.cleaned_data.get(f"{field}_label", "") if self.is_bound else ""
        return clean_text(label)[:200].strip()

    def clean_project(self) -> str:
        return clean_gid(self.cleaned_data["project"], "project")

    def clean_assignee(self) -> str:
        return clean_gid(self.cleaned_data["assignee"], "assignee")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("section_label") and not (data.get("project") or data.get("project_label")):
            self.add_error("section_label", "A section needs a project: choose the project too.")
        return data
