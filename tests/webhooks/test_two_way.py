"""Against the sandbox, delivering to the live Tasklink: what people do in Asana reaches issues."""

from __future__ import annotations

from integrations.models import ExternalIssue, Webhook
from tracker.models import Activity, Issue

from .helpers import act, deliveries, flush, link, sandbox_webhooks


def remote_activities(issue):
    return [a.data for a in Activity.objects.filter(issue=issue) if a.data.get("remote_actor")]


def test_linking_watches_the_tasks_project_with_one_webhook(hooked, identity, issue, owner):
    link(issue, owner)
    webhook = Webhook.objects.get()
    assert (webhook.resource_type, webhook.resource) == ("project", "1200000000000008")
    assert webhook.secret and webhook.remote_id
    assert [w["gid"] for w in sandbox_webhooks(hooked)] == [webhook.remote_id]
    # The heartbeat Asana sends at creation was accepted.
    flush(hooked)
    assert all(d["status"] == 200 for d in deliveries(hooked))


def test_the_card_holds_assignee_project_section_and_due_date(hooked, identity, issue, owner):
    mapping = link(issue, owner)
    act(hooked, "assign", assignee="grace@acme.test")
    mapping.refresh_from_db()
    assert mapping.details["assignee"] == "Grace Hopper"
    assert mapping.details["projects"][0]["name"] == "Backend"
    assert mapping.details["projects"][0]["section"]
    assert "due_on" in mapping.details


def test_completing_in_asana_resolves_the_issue_with_activity(
    hooked, identity, issue, owner, two_way
):
    link(issue, owner)
    act(hooked, "complete")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert ExternalIssue.objects.get().completed
    [change] = remote_activities(issue)
    assert (change["remote_actor"], change["remote_action"]) == ("Grace Hopper", "completed")
    assert Activity.objects.filter(issue=issue, kind="resolved", data__via="Asana").exists()


def test_reopening_in_asana_unresolves_it(hooked, identity, issue, owner, two_way):
    link(issue, owner)
    act(hooked, "complete")
    act(hooked, "reopen")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    actions = [a["remote_action"] for a in remote_activities(issue)]
    assert actions == ["reopened", "completed"]


def test_without_the_options_the_status_stays_but_activity_shows(hooked, identity, issue, owner):
    link(issue, owner)
    act(hooked, "complete")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    assert [a["remote_action"] for a in remote_activities(issue)] == ["completed"]


def test_all_tasks_must_be_completed_when_the_project_says_all(
    hooked, identity, issue, owner, two_way
):
    two_way.options["asana_completes"] = "all"
    two_way.save()
    link(issue, owner)
    link(issue, owner, task="1200000000000016", title="other")
    act(hooked, "complete")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    act(hooked, "complete", task="1200000000000016")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED


def test_a_comment_in_asana_shows_in_the_activity(hooked, identity, issue, owner):
    link(issue, owner)
    act(hooked, "comment", text="Deployed the fix")
    [comment] = remote_activities(issue)
    assert comment["remote_action"] == "commented on"
    assert (comment["remote_actor"], comment["text"]) == ("Grace Hopper", "Deployed the fix")


def test_the_panel_does_not_undo_what_a_webhook_stored(sandbox, owner, issue):
    """The panel's status read is cached a minute; a change Asana reported since wins."""
    from integrations.asana import sync
    from integrations.registry import plugins
    from tests.support import EXISTING_TASK, connect_identity

    from .helpers import control

    identity = connect_identity(owner, sandbox)
    [plugin] = [p for p in plugins() if p.slug == "asana"]
    mapping = ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=EXISTING_TASK, title="Fix", created_by=owner
    )
    plugin.sync_status(identity, [mapping])  # the panel: Open, remembered for a minute
    body = {"as": "grace@acme.test", "action": "complete", "task": EXISTING_TASK}
    control(sandbox, "act", body)
    sync.sync_task(EXISTING_TASK)  # what processing Asana's delivery does
    mapping.refresh_from_db()
    assert mapping.completed
    plugin.sync_status(identity, [mapping])  # the panel reloads
    mapping.refresh_from_db()
    assert mapping.completed
    assert [a["remote_action"] for a in remote_activities(issue)] == ["completed"]
