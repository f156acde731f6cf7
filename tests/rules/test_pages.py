"""/projects/<id>/rules/: owners list, create, edit, toggle and delete rules; others cannot."""

from __future__ import annotations

import pytest

from integrations.rules import settings as rule_settings
from integrations.rules.models import Firing, Rule
from tests.rules.helpers import make_issue, make_rule
from tests.support import BACKEND_PROJECT, GRACE


def rule_post(**fields):
    data = {
        "name": "Fatal errors",
        "trigger": "first_seen",
        "threshold": "100",
        "window_minutes": "60",
        "min_level": "error",
        "title_contains": "",
        "tag_key": "",
        "tag_value": "",
        "enabled": "on",
        "action-project": "",
        "action-project_label": "Backend",
        "action-section_label": "In progress",
        "action-assignee": "",
        "action-assignee_label": "Grace Hopper",
    }
    data.update(fields)
    return data


def test_owner_creates_a_rule_with_names_typed_without_javascript(
    asana_project, owner, owner_client, sandbox
):
    answer = owner_client.post(f"/projects/{asana_project.pk}/rules/new/", rule_post())

    assert answer.status_code == 302
    rule = Rule.objects.get()
    section = next(s for s in sandbox.state.sections_of(BACKEND_PROJECT) if s.name == "In progress")
    assert rule.action["project"] == BACKEND_PROJECT
    assert rule.action["section"] == section.gid
    assert rule.action["assignee"] == GRACE
    assert rule.owner == owner
    page = owner_client.get(answer["Location"]).content.decode()
    assert "Fatal errors" in page and "Acts as" in page and "Ada" in page


def test_unknown_section_is_told_and_input_kept(asana_project, owner_client, sandbox):
    answer = owner_client.post(
        f"/projects/{asana_project.pk}/rules/new/", rule_post(**{"action-section_label": "Nope"})
    )
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "no section “Nope”" in page and "In progress" in page
    assert 'value="Fatal errors"' in page
    assert not Rule.objects.exists()


def test_saving_needs_a_connected_identity(project, owner_client, db):
    answer = owner_client.post(f"/projects/{project.pk}/rules/new/", rule_post())
    assert answer.status_code == 400
    assert "acts as you in Asana" in answer.content.decode()


def test_invalid_rule_is_refused_with_messages(asana_project, owner_client):
    answer = owner_client.post(
        f"/projects/{asana_project.pk}/rules/new/",
        rule_post(name="", window_minutes="0", tag_value="x"),
    )
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "Between 1 minute and a day" in page and "Name the tag" in page


def test_saving_again_resumes_a_paused_rule_as_the_saver(asana_project, owner, owner_client):
    rule = make_rule(asana_project, None, paused_reason="Nobody can act.")
    answer = owner_client.post(
        f"/projects/{asana_project.pk}/rules/{rule.pk}/",
        rule_post(**{"action-section_label": "", "action-assignee_label": ""}),
    )
    assert answer.status_code == 302
    rule.refresh_from_db()
    assert (rule.paused_reason, rule.owner) == ("", owner)


def test_toggle_and_delete(asana_project, owner, owner_client):
    rule = make_rule(asana_project, owner)
    base = f"/projects/{asana_project.pk}/rules/{rule.pk}"
    owner_client.post(f"{base}/toggle/")
    rule.refresh_from_db()
    assert not rule.enabled
    owner_client.post(f"{base}/toggle/", {"enabled": "on"})
    rule.refresh_from_db()
    assert rule.enabled
    owner_client.post(f"{base}/delete/")
    assert not Rule.objects.exists()


def test_history_shows_each_firing(asana_project, owner, owner_client):
    rule = make_rule(asana_project, owner)
    issue, _ = make_issue(asana_project)
    Firing.objects.create(
        rule=rule,
        issue=issue,
        trigger=rule.trigger,
        outcome=Firing.Outcome.FAILED,
        detail="Asana is down.",
    )
    page = owner_client.get(f"/projects/{asana_project.pk}/rules/{rule.pk}/").content.decode()
    assert issue.short_id in page and "Failed" in page and "Asana is down." in page


def test_regression_option_on_by_default_and_saved(project, owner_client):
    assert rule_settings.reopens(project)
    owner_client.post(f"/projects/{project.pk}/rules/", {})
    assert not rule_settings.reopens(project)


@pytest.mark.parametrize("suffix", ["", "new/"])
def test_members_get_403_and_outsiders_404(project, member, outsider, client, suffix):
    client.force_login(member)
    assert client.get(f"/projects/{project.pk}/rules/{suffix}").status_code == 403
    client.force_login(outsider)
    assert client.get(f"/projects/{project.pk}/rules/{suffix}").status_code == 404


def test_outsider_cannot_touch_a_rule(project, owner, outsider_client):
    rule = make_rule(project, owner)
    base = f"/projects/{project.pk}/rules/{rule.pk}"
    for url in (f"{base}/", f"{base}/toggle/", f"{base}/delete/"):
        assert outsider_client.post(url).status_code == 404
    assert Rule.objects.filter(pk=rule.pk, enabled=True).exists()
