"""What happens to issues, for other apps to act on. The tracker sends these and never imports
the apps that listen (integrations, rules)."""

from django.dispatch import Signal

# Sent after a person changed an issue's status: issue, user, status. Receivers (integrations)
# answer with a list of messages for that person, e.g. what a tracker refused.
issue_status_changed = Signal()

# Sent by ingestion once the transaction that stored the events has committed:
# - issue_first_seen: issue, event. A new group was created by this event.
# - issue_regressed: issue, event. A resolved issue got a new event and is unresolved again.
# - issue_events_added: issue, count. `count` new events were stored for the issue (one send
#   per issue per processed batch, for rate-style triggers such as "N events in M minutes").
issue_first_seen = Signal()
issue_regressed = Signal()
issue_events_added = Signal()
