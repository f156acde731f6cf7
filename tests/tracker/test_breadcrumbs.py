"""Issue 17: on every page of a project, each breadcrumb but the current page is a link."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.rules.helpers import make_rule

pytestmark = pytest.mark.django_db


def crumbs(client, url: str) -> list[str]:
    page = client.get(url).content.decode()
    nav = re.search(r'<nav class="crumbs" aria-label="Breadcrumb">(.*?)</nav>', page, re.S)
    assert nav, f"no breadcrumbs on {url}"
    return [crumb.strip() for crumb in nav.group(1).split("›")]


def link_texts(trail: list[str]) -> list[tuple[str, str]]:
    """(href, text) of each crumb but the last, each of which must be a link."""
    links = []
    for crumb in trail[:-1]:
        found = re.fullmatch(r'<a href="([^"]+)">([^<]+)</a>', crumb)
        assert found, f"not a link: {crumb}"
        links.append((found.group(1), found.group(2)))
    return links


def current(trail: list[str]) -> str:
    found = re.fullmatch(r'<span aria-current="page">([^<]+)</span>', trail[-1])
    assert found, f"the current page is not marked: {trail[-1]}"
    return found.group(1)


@pytest.mark.parametrize(
    ("name", "here"),
    [
        ("rule_list", "Rules"),
        ("rule_create", "New rule"),
        ("plugin_asana_settings", "Asana"),
        ("project_keys", "Client keys"),
    ],
)
def test_a_project_page_links_every_crumb_but_itself(owner_client, project, name, here):
    trail = crumbs(owner_client, reverse(name, args=[project.pk]))
    assert link_texts(trail)[:3] == [
        (reverse("project_list"), "Projects"),
        (f"{reverse('project_list')}#org-{project.organization_id}", "Acme"),
        (reverse("project_detail", args=[project.pk]), "Backend"),
    ]
    assert current(trail) == here


def test_a_rule_page_links_back_to_the_rules(owner_client, owner, project):
    rule = make_rule(project, owner, name="New errors to Asana")
    trail = crumbs(owner_client, reverse("rule_edit", args=[project.pk, rule.pk]))
    assert link_texts(trail)[-1] == (reverse("rule_list", args=[project.pk]), "Rules")
    assert current(trail) == "New errors to Asana"


def test_the_project_page_is_the_last_crumb_of_its_own(owner_client, project):
    trail = crumbs(owner_client, reverse("project_detail", args=[project.pk]))
    assert [text for _, text in link_texts(trail)] == ["Projects", "Acme"]
    assert current(trail) == "Backend"


def test_the_rule_form_names_the_tracker_in_plain_words(owner_client, project):
    page = owner_client.get(reverse("rule_create", args=[project.pk])).content.decode()
    assert "<legend>Then create a task in Asana</legend>" in page
