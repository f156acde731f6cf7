from django.dispatch import Signal

# Sent after a person changed an issue's status: issue, user, status. Receivers (integrations)
# answer with a list of messages for that person, e.g. what a tracker refused.
issue_status_changed = Signal()
