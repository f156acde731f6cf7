"""The rule form: when, if, and the tracker's own choices of what to create."""

from __future__ import annotations

from typing import Any

from django import forms

from integrations.rules.models import Rule


class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Rule
        fields = [
            "name",
            "trigger",
            "threshold",
            "window_minutes",
            "min_level",
            "title_contains",
            "tag_key",
            "tag_value",
            "enabled",
        ]
        labels = {
            "trigger": "When",
            "threshold": "More than N events",
            "window_minutes": "In M minutes",
            "min_level": "If the level is at least",
            "title_contains": "And the title contains",
            "tag_key": "And the tag",
            "tag_value": "Has the value",
        }
        help_texts = {
            "threshold": "For “more than N events in M minutes” only.",
            "tag_value": "Empty: the tag only has to be present.",
        }

    def clean_threshold(self) -> int:
        value: int = self.cleaned_data["threshold"]
        if value < 1:
            raise forms.ValidationError("At least 1 event.")
        return value

    def clean_window_minutes(self) -> int:
        value: int = self.cleaned_data["window_minutes"]
        if not 1 <= value <= 24 * 60:
            raise forms.ValidationError("Between 1 minute and a day (1440).")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("tag_value") and not data.get("tag_key"):
            self.add_error("tag_key", "Name the tag whose value must match.")
        return data


class RegressionForm(forms.Form):
    reopen_on_regression = forms.BooleanField(
        label="When an issue regresses, reopen its completed linked tasks", required=False
    )
