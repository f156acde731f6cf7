"""The identities page says when Asana was connected as every other page says times: relative,
with the exact moment in the tooltip."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.support import connect_identity

pytestmark = pytest.mark.django_db


def test_the_connection_time_is_relative_with_the_exact_moment_in_its_tooltip(
    owner_client, owner, sandbox
):
    connect_identity(owner, sandbox)
    page = owner_client.get(reverse("identities")).content.decode()
    connected = re.search(r"<dt>Connected</dt><dd>(.*?)</dd>", page).group(1)
    assert re.fullmatch(r'<time datetime="[^"]+" title="[^"]+">just now</time>', connected)
