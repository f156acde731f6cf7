from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker.demo_data import BACKEND_ISSUES, FRONTEND_ISSUES, create_issues
from tracker.models import Membership, Organization, Project


class Command(BaseCommand):
    help = "Create the demo organization Acme, its member demo/demo and realistic issues."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (demo/demo is a superuser anyone can guess).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        # A well-known superuser password is for a demo on one's own machine, never production.
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create the superuser demo/demo with DEBUG off. Run it with "
                "DJANGO_DEBUG=true (as make demo does), or pass --force if you really mean it."
            )
        organization, _ = Organization.objects.get_or_create(slug="acme", defaults={"name": "Acme"})
        user_model = get_user_model()
        # The only place the well-known demo password is ever set.
        demo, created = user_model.objects.get_or_create(
            username="demo",
            defaults={
                "email": "demo@acme.test",
                "first_name": "Demo",
                "last_name": "User",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created:
            demo.set_password("demo")
            demo.save(update_fields=["password"])
        Membership.objects.get_or_create(
            organization=organization, user=demo, defaults={"role": Membership.Role.OWNER}
        )
        backend, _ = Project.objects.get_or_create(
            organization=organization,
            slug="backend",
            defaults={"name": "Backend", "short_name": "BACKEND", "platform": "python"},
        )
        frontend, _ = Project.objects.get_or_create(
            organization=organization,
            slug="web",
            defaults={"name": "Web", "short_name": "WEB", "platform": "javascript"},
        )
        issues = create_issues(backend, BACKEND_ISSUES) + create_issues(frontend, FRONTEND_ISSUES)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: organization Acme, {len(issues)} issues, log in as demo / demo."
            )
        )
