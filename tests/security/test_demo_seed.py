"""Security round 2: seed_demo's well-known superuser demo/demo only where DEBUG is on."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username="demo").exists()


def test_seed_demo_with_force_seeds_even_with_debug_off(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert get_user_model().objects.get(username="demo").is_superuser
