from django.apps import AppConfig
from django.db.models import signals


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from social_django.models import UserSocialAuth

        from integrations import (
            comments,
            onboarding,
            registry,
            resolution,
            task_links,
            token_crypto,
        )
        from integrations.models import ExternalIssue
        from integrations.rules import receivers
        from tracker import onboarding as tracker_onboarding
        from tracker.signals import (
            comment_post_retried,
            issue_commented,
            issue_events_added,
            issue_first_seen,
            issue_regressed,
            issue_status_changed,
        )

        signals.post_init.connect(token_crypto.decrypt_on_load, sender=UserSocialAuth)
        signals.pre_save.connect(token_crypto.encrypt_before_save, sender=UserSocialAuth)
        signals.post_save.connect(token_crypto.restore_after_save, sender=UserSocialAuth)
        signals.pre_save.connect(task_links.link_moving, sender=ExternalIssue)
        signals.post_save.connect(task_links.link_saved, sender=ExternalIssue)
        signals.post_delete.connect(task_links.link_deleted, sender=ExternalIssue)
        issue_status_changed.connect(resolution.follow_issue_status)
        issue_commented.connect(comments.follow_issue_comment)
        comment_post_retried.connect(comments.retry_issue_comment)
        issue_first_seen.connect(receivers.on_first_seen)
        issue_regressed.connect(receivers.on_regressed)
        issue_events_added.connect(receivers.on_events_added)
        tracker_onboarding.register(onboarding.plugin_steps)
        # Loading the plugins now connects their own signals (e.g. watching linked tasks).
        registry.plugins()
