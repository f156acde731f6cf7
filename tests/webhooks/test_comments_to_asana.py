"""Optionally (per project), a comment written in Tasklink is posted to the issue's linked tasks,
on the worker, and Asana's event about it does not come back as an Asana comment."""

from __future__ import annotations

import re

from django.urls import reverse

from integrations.models import PluginConfig
from tests.support import ENGINEERING, EXISTING_TASK, connect_identity
from tracker.models import Activity

from .helpers import flush, link, turn_on


def stories(sandbox, task: str = EXISTING_TASK) -> list[dict]:
    return [
        s
        for s in sandbox.state.stories.values()
        if s.task == task and getattr(s, "resource_subtype", "comment_added") == "comment_added"
    ]


def story_texts(sandbox, task: str = EXISTING_TASK) -> list[str]:
    return [s.text for s in stories(sandbox, task)]


def comment(client, issue, text: str):
    return client.post(reverse("issue_comment", args=[issue.pk]), {"text": text})


def test_the_option_is_off_by_default_and_saved_when_chosen(owner_client, owner, project, sandbox):
    connect_identity(owner, sandbox)
    url = reverse("plugin_asana_settings", args=[project.pk])
    page = owner_client.get(url).content.decode()
    assert "Post comments written in Tasklink to the linked Asana tasks" in page
    assert not re.search(r'name="post_comments"[^>]* checked', page)
    owner_client.post(url, {"workspace": ENGINEERING, "asana_completes": "off"})
    assert PluginConfig.objects.get(project=project).options["post_comments"] is False
    owner_client.post(url, {"workspace": ENGINEERING, "post_comments": "on"})
    assert PluginConfig.objects.get(project=project).options["post_comments"] is True


def test_without_the_option_nothing_is_posted(hooked, identity, issue, owner, client, two_way):
    link(issue, owner)
    before = story_texts(hooked)
    client.force_login(owner)
    comment(client, issue, "Only for Tasklink")
    flush(hooked)
    assert story_texts(hooked) == before


def test_with_the_option_the_comment_reaches_the_task_once(
    hooked, identity, issue, owner, client, two_way
):
    turn_on(two_way, post_comments=True)
    link(issue, owner)
    client.force_login(owner)
    comment(client, issue, "Deploying the fix at 5pm")
    flush(hooked)  # Asana's event about the new story is delivered and processed
    assert story_texts(hooked).count("Deploying the fix at 5pm") == 1
    # Shown once, as the person's own comment: the echo is not a second, "Asana" comment.
    kinds = list(Activity.objects.filter(issue=issue, kind="comment").values_list("user", "data"))
    assert len(kinds) == 1 and kinds[0][0] == owner.pk
    assert kinds[0][1]["posted_to"] == {"asana": [EXISTING_TASK]}


def test_someone_without_asana_comments_through_whoever_linked_the_task(
    hooked, identity, issue, owner, member, client, two_way
):
    turn_on(two_way, post_comments=True)
    link(issue, owner)
    client.force_login(member)
    comment(client, issue, "Same on Android")
    flush(hooked)
    name = member.get_full_name() or member.email or member.username
    assert f"{name} wrote in Tasklink: Same on Android" in story_texts(hooked)
    assert not Activity.objects.filter(issue=issue, data__remote_actor__isnull=False).exists()
