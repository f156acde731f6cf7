from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from social_django.models import UserSocialAuth


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored OAuth token with the first key of TOKEN_ENCRYPTION_KEY. "
        "Put the new key first, keep the old ones after it, run this, then drop the old ones."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        with transaction.atomic():
            # Loading decrypts with any configured key; saving encrypts with the first.
            for identity in UserSocialAuth.objects.select_for_update().iterator():
                identity.save(update_fields=["extra_data"])
                rotated += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the tokens of {rotated} identities."))
