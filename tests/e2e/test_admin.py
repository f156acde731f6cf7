"""Journey: the admin's linked tasks at a laptop's width, nothing clipped."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from tests.support.browser import expect, log_in, make_account

pytestmark = pytest.mark.e2e

# Long words that do not wrap, as exception titles have.
LONG = (
    "IntegrityError: duplicate key value violates unique constraint "
    "orders_orderline_order_id_product_id_variant_id_warehouse_id_uniq in "
    "checkout.views.place_order_for_customer_with_saved_cart"
)


def test_linked_tasks_fit_a_1366_pixel_screen(page, app):
    user, _, issues = make_account("ada@example.com")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    for n, issue in enumerate(issues[:3]):
        ExternalIssue.objects.create(
            issue=issue,
            provider="asana",
            external_id=f"120000000000{n:04}",
            title=LONG,
            url=f"https://app.asana.com/0/1200000000000008/120000000000{n:04}",
            created_by=user,
        )
    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, "ada@example.com")
    page.goto("/admin/integrations/externalissue/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    widths = page.evaluate(
        "() => { const r = document.querySelector('#changelist .results');"
        " return [r.scrollWidth, r.clientWidth]; }"
    )
    assert widths[0] <= widths[1], f"the table is {widths[0]}px wide in {widths[1]}px"
    expect(page.locator("#result_list")).to_contain_text(f"{issues[0].short_id} → Asana task")
