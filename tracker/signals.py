"""What happens to issues, for other apps to act on. The tracker sends these and never imports
the apps that listen (integrations, rules)."""

from django.dispatch import Signal

# Sent after an issue's status changed: issue, user, status, origin. `origin` is "" when a
# person changed it in Tasklink (`user`), or the slug of the integration whose tracker caused
# it (user None), so that integration does not push the change back where it came from.
# Receivers (integrations) answer with a list of messages for that person, e.g. what a tracker
# refused.
issue_status_changed = Signal()

# Sent after a person wrote a comment on an issue: issue, user, activity (its Activity, whose
# data["text"] is the comment). Integrations may post it to linked tasks.
issue_commented = Signal()

# Sent when a person asks to post a comment again where posting it failed (the integrations
# recorded why in its data["post_failed"]): issue, user, activity. Integrations try again.
comment_post_retried = Signal()

# Sent by ingestion once the transaction that stored the events has committed:
# - issue_first_seen: issue, event. A new group was created by this event.
# - issue_regressed: issue, event. A resolved issue got a new event and is unresolved again.
# - issue_events_added: issue, count. `count` new events were stored for the issue (one send
#   per issue per processed batch, for rate-style triggers such as "N events in M minutes").
issue_first_seen = Signal()
issue_regressed = Signal()
issue_events_added = Signal()
