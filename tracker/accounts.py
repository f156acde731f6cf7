"""Sign-up. Log-in, log-out and passwords are Django's own views (see account_urls)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import get_random_string
from django.utils.decorators import method_decorator
from django.utils.text import slugify
from django_ratelimit.decorators import ratelimit

from tracker.demo_data import BACKEND_ISSUES, FRONTEND_ISSUES, create_issues
from tracker.forms import SignupForm
from tracker.models import Membership, Organization, Project

TOO_MANY = "Too many attempts from your network. Please wait a while and try again."


@ratelimit(key="ip", rate=lambda group, request: settings.SIGNUP_RATE, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("issue_list")
    form = SignupForm(request.POST or None)
    if getattr(request, "limited", False):
        form.is_valid()  # keep the typed email on the page, with this one error
        form.add_error(None, TOO_MANY)
        return render(request, "registration/signup.html", {"form": form}, status=429)
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


def _reset_rate(group, request) -> str:
    return settings.PASSWORD_RESET_RATE


@method_decorator(
    [
        ratelimit(key="ip", rate=_reset_rate, method="POST", block=False),
        ratelimit(key="post:email", rate=_reset_rate, method="POST", block=False),
    ],
    name="post",
)
class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, throttled. Its answer never says whether the email has an account."""

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, TOO_MANY)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)
