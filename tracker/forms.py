from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation

from tracker.models import Issue


class SignupForm(forms.Form):
    email = forms.EmailField(
        max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        # Whether the address has an account is never said here: the sign-up mails its owner.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
        elif password1 and cleaned.get("email"):
            candidate = get_user_model()(username=cleaned["email"], email=cleaned["email"])
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class IssueFilterForm(forms.Form):
    """The issue list's filters. Unknown values fall back to defaults instead of failing."""

    STATUS_CHOICES = [("all", "All statuses"), *Issue.Status.choices]

    query = forms.CharField(required=False, max_length=200, label="Search")
    project = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    linked = forms.ChoiceField(required=False)

    def __init__(self, *args, projects=(), trackers: str = "Tracker", **kwargs):
        super().__init__(*args, **kwargs)
        # `trackers` names the task trackers Tasklink runs (the tracker never imports them).
        self.fields["linked"].label = trackers
        self.fields["linked"].choices = [
            ("", "Any"),
            ("linked", f"With {trackers} task"),
            ("unlinked", "Without task"),
        ]
        self.fields["project"].choices = [("", "All projects")] + [(p.pk, p.name) for p in projects]

    def filters(self) -> dict:
        # A bad value in one field resets that field only; the others still apply.
        self.is_valid()
        data = self.cleaned_data
        return {
            "query": (data.get("query") or "").replace("\x00", ""),
            "project": data.get("project"),
            "status": data.get("status") or "unresolved",
            "linked": data.get("linked") or "",
        }


class IssueStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Issue.Status.choices)


# Long enough for a stack trace pasted in; trackers take far longer comments.
MAX_COMMENT = 5000


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Comment",
        max_length=MAX_COMMENT,
        widget=forms.Textarea,
        error_messages={
            "required": "Write something first.",
            "max_length": f"A comment may have at most {MAX_COMMENT:,} characters "
            "(it has %(show_value)s).",
        },
    )
