"""Forms of the projects pages: create, rename, delete, and a project's client keys."""

from __future__ import annotations

import re

from django import forms
from django.utils.text import slugify

from tracker.models import Organization, Project

PLATFORMS = [
    ("python", "Python"),
    ("django", "Django"),
    ("flask", "Flask"),
    ("fastapi", "FastAPI"),
    ("javascript", "JavaScript (browser)"),
    ("react", "React"),
    ("node", "Node.js"),
    ("other", "Other"),
]
# The slug sign-up gives the sample project; a project a person creates never gets it, so the
# onboarding checklist can tell the two apart.
SAMPLE_PROJECT_SLUG = "sample-app"


def _clean_name(form: forms.Form, organization: Organization | None, exclude_pk=None) -> str:
    name = " ".join(form.cleaned_data["name"].split())
    if not re.search(r"\w", name):
        raise forms.ValidationError("Give the project a name with at least one letter or digit.")
    if organization is not None:
        taken = Project.objects.filter(organization=organization, name__iexact=name)
        if taken.exclude(pk=exclude_pk).exists():
            raise forms.ValidationError(
                f"{organization.name} already has a project named “{name}”. Pick another name."
            )
    return name


class ProjectCreateForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Pick one of your organizations."},
    )
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    platform = forms.ChoiceField(
        choices=PLATFORMS, initial="python", help_text="Decides which set-up snippet comes first."
    )

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            pk__in=[org.pk for org in organizations]
        )

    def clean(self):
        cleaned = super().clean()
        if "name" in cleaned:
            try:
                cleaned["name"] = _clean_name(self, cleaned.get("organization"))
            except forms.ValidationError as error:
                self.add_error("name", error)
        return cleaned

    def save(self) -> Project:
        organization = self.cleaned_data["organization"]
        name = self.cleaned_data["name"]
        taken = Project.objects.filter(organization=organization)
        slugs = set(taken.values_list("slug", flat=True)) | {SAMPLE_PROJECT_SLUG}
        short_names = set(taken.values_list("short_name", flat=True))
        return Project.objects.create(
            organization=organization,
            name=name,
            platform=self.cleaned_data["platform"],
            slug=unique(slugify(name)[:50] or "project", slugs, "-"),
            short_name=unique(short_name_for(name), short_names, ""),
        )


def short_name_for(name: str) -> str:
    """The prefix of the project's short ids: BACKEND for "Backend", WEBAPP for "Web app",
    CHECKOUT for "Checkout service" (the first word when all of them would be too long)."""
    words = [re.sub(r"[^A-Z0-9]", "", word) for word in slugify(name).upper().split("-")]
    words = [word for word in words if word]
    joined = "".join(words)
    if len(joined) > 10:
        joined = words[0]
    return joined[:10] or "PROJECT"


def unique(base: str, taken: set[str], separator: str) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{separator}{n}"
    return candidate


class ProjectRenameForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, project: Project, **kwargs):
        self.project = project
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        return _clean_name(self, self.project.organization, exclude_pk=self.project.pk)


class ProjectDeleteForm(forms.Form):
    confirm = forms.CharField(
        label="Type the project's name to confirm", max_length=200, strip=True
    )

    def __init__(self, *args, project: Project, **kwargs):
        self.project = project
        super().__init__(*args, **kwargs)

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"]
        if typed != self.project.name:
            raise forms.ValidationError(
                f"That is not the project's name. Type “{self.project.name}” exactly."
            )
        return typed


class KeyForm(forms.Form):
    label = forms.CharField(max_length=100, initial="Default")
    rate_limit_per_minute = forms.IntegerField(
        label="Rate limit per minute",
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text="Events accepted per minute with this key. Empty: no limit.",
    )

    def clean_label(self) -> str:
        label = " ".join(self.cleaned_data["label"].split())
        if not label:
            raise forms.ValidationError("Give the key a label, e.g. “Production”.")
        return label
