from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Error tracker"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import post_delete, post_save

        from tracker.auth import forget_cached_user, remember_logged_in_user, say_logged_out

        user_logged_out.connect(say_logged_out, dispatch_uid="tracker.say_logged_out")
        # After django.contrib.auth's update_last_login (its app is ready first).
        user_logged_in.connect(remember_logged_in_user, dispatch_uid="tracker.remember_user")
        user_model = get_user_model()
        for signal in (post_save, post_delete):
            signal.connect(forget_cached_user, sender=user_model, dispatch_uid="tracker.user")
