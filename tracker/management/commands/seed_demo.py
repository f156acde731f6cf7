from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.demo_data import BACKEND_ISSUES, FRONTEND_ISSUES, create_issues
from tracker.models import Membership, Organization, Project


class Command(BaseCommand):
    help = "Create the demo organization Acme, its member demo/demo and realistic issues."

    @transaction.atomic
    def handle(self, *args, **options):
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
