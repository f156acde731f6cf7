"""A second issue tracker for the tests only: it proves the plugin layer names no tracker.

It implements only the hooks `IssueTrackerPlugin` declares, keeps its tasks in memory, and is
registered by one line (settings.TASKLINK_PLUGINS) plus its URLs, generated from the plugin.
Nothing outside this file knows it exists.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from django import forms

from config.urls import urlpatterns as site_urlpatterns
from integrations.base import IssueTrackerPlugin, RemoteTask
from integrations.exceptions import ApiError, ApiNotFound
from integrations.plugin_urls import default_urlpatterns

DOTTED_PATH = "tests.integrations.fake_tracker.plugin"


@dataclass
class Board:
    """The fake tracker's whole world: its tasks and comments, and the calls it answered."""

    tasks: dict[str, dict] = field(default_factory=dict)
    comments: list[tuple[str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    failures: list[ApiError] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(101))

    def answer(self, call: str) -> None:
        self.calls.append(call)
        if self.failures:
            raise self.failures.pop(0)

    def add(self, title: str) -> str:
        task_id = f"FAKE-{next(self.ids)}"
        self.tasks[task_id] = {"title": title, "completed": False}
        return task_id

    def task(self, task_id: str) -> RemoteTask:
        if task_id not in self.tasks:
            raise ApiNotFound(404)
        data = self.tasks[task_id]
        return RemoteTask(task_id, data["title"], f"https://fake.test/{task_id}", data["completed"])


class CreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea)
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class LinkForm(forms.Form):
    issue_id = forms.RegexField(regex=r"^FAKE-\d+$", label="Task")
    comment = forms.CharField(required=False, widget=forms.Textarea)


class UnlinkForm(forms.Form):
    issue_id = forms.CharField(max_length=32)


class FakeTracker(IssueTrackerPlugin):
    slug = "fake"
    title = "Faketrack"
    auth_provider = "faketrack-oauth"
    required_options = ("board",)
    error_auth_not_configured = "Connect Faketrack first."
    autocomplete_fields = ("issue_id",)
    create_form_class = CreateForm
    link_form_class = LinkForm
    unlink_form_class = UnlinkForm

    def __init__(self) -> None:
        self.board = Board()

    def get_client(self, identity):
        return self.board

    def create_remote(self, client, options, data):
        client.answer("create")
        return client.task(client.add(data["title"]))

    def fetch_remote(self, client, external_id):
        client.answer("fetch")
        return client.task(external_id)

    def comment_remote(self, client, external_id, comment):
        client.answer("comment")
        client.comments.append((external_id, comment))

    def complete_remote(self, client, external_id, completed):
        client.answer("complete")
        client.tasks[external_id]["completed"] = completed
        return client.task(external_id)

    def search_remote(self, client, options, field, query):
        client.answer("search")
        return [
            {"id": task_id, "text": data["title"]}
            for task_id, data in client.tasks.items()
            if query.lower() in data["title"].lower()
        ]


plugin = FakeTracker()

# The site with the fake's URLs: one line, generated from the plugin.
urlpatterns = [*default_urlpatterns(plugin), *site_urlpatterns]
