from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Error tracker"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from tracker.auth import say_logged_out

        user_logged_out.connect(say_logged_out, dispatch_uid="tracker.say_logged_out")
