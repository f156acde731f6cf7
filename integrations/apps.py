from django.apps import AppConfig
from django.db.models import signals


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from social_django.models import UserSocialAuth

        from integrations import onboarding, resolution, token_crypto
        from tracker import onboarding as tracker_onboarding
        from tracker.signals import issue_status_changed

        signals.post_init.connect(token_crypto.decrypt_on_load, sender=UserSocialAuth)
        signals.pre_save.connect(token_crypto.encrypt_before_save, sender=UserSocialAuth)
        signals.post_save.connect(token_crypto.restore_after_save, sender=UserSocialAuth)
        issue_status_changed.connect(resolution.follow_issue_status)
        tracker_onboarding.register(onboarding.asana_steps)
