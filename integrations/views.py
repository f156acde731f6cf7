from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from integrations import identities


def render_identities(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    identity = identities.get_identity(request.user)
    context = {
        "identity": identity,
        "status": identities.token_status(identity) if identity else None,
        "error": error,
        "sandbox": identities.sandbox_in_use(),
        "asana_url": settings.ASANA_BASE_URL,
    }
    return render(request, "integrations/identities.html", context, status=status)


@login_required
def identity_list(request: HttpRequest) -> HttpResponse:
    return render_identities(request)


@login_required
@require_http_methods(["GET", "POST"])
def identity_disconnect(request: HttpRequest) -> HttpResponse:
    identity = identities.get_identity(request.user)
    if identity is None:
        messages.info(request, "No Asana identity is connected.")
        return redirect("identities")
    if request.method == "GET":
        return render(request, "integrations/disconnect_confirm.html", {"identity": identity})
    name = identity.extra_data.get("name") or identity.uid
    if identities.disconnect(request, identity):
        messages.success(request, f"Disconnected {name}. Asana revoked Tasklink's access.")
    else:
        messages.warning(
            request,
            f"Disconnected {name} here, but Asana did not confirm the revocation. You can "
            "remove Tasklink under My Settings → Apps in Asana.",
        )
    return redirect("identities")
