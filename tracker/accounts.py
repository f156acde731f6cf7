"""Sign-up. Log-in, log-out and passwords are Django's own views (see account_urls)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from tracker.demo_data import BACKEND_ISSUES, FRONTEND_ISSUES, create_issues
from tracker.forms import SignupForm
from tracker.models import Membership, Organization, Project


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("issue_list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = create_account(form.cleaned_data["email"], form.cleaned_data["password1"])
        login(request, user, backend="tracker.auth.EmailOrUsernameBackend")
        messages.success(
            request,
            "Welcome to Tasklink. Your organization has a sample project to try things on.",
        )
        return redirect("issue_list")
    return render(request, "registration/signup.html", {"form": form})


@transaction.atomic
def create_account(email: str, password: str):
    """A user, their personal organization, and a sample project with a few issues."""
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    local_part = email.split("@")[0]
    organization = Organization.objects.create(
        name=f"{local_part}'s organization",
        slug=f"{slugify(local_part)[:40] or 'org'}-{get_random_string(6).lower()}",
    )
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.OWNER)
    project = Project.objects.create(
        organization=organization,
        name="Sample app",
        slug="sample-app",
        short_name="SAMPLE",
        platform="python",
    )
    create_issues(project, BACKEND_ISSUES[:2] + FRONTEND_ISSUES[:1])
    return user
