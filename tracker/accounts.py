"""Sign-up, confirmed by mail. Log-in, log-out and passwords are Django's views (account_urls)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import get_random_string
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from tracker.demo_data import BACKEND_ISSUES, FRONTEND_ISSUES, create_issues
from tracker.forms import SignupForm
from tracker.models import Membership, Organization, Project
from tracker.tasks import (
    after_commit,
    send_password_reset,
    send_signup_attempt_notice,
    send_signup_confirmation,
)

TOO_MANY = "Too many attempts from your network. Please wait a while and try again."


@ratelimit(key="ip", rate=lambda group, request: settings.SIGNUP_RATE, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up by email: the account exists once its mailbox confirms it.

    The answer is the same whether the address is new or already has an account (the owner
    gets a notice instead of a link), so the form never tells which emails are taken.
    """
    if request.user.is_authenticated:
        return redirect("issue_list")
    form = SignupForm(request.POST or None)
    if getattr(request, "limited", False):
        form.is_valid()  # keep the typed email on the page, with this one error
        form.add_error(None, TOO_MANY)
        return render(request, "registration/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        request_account(form.cleaned_data["email"], form.cleaned_data["password1"])
        return redirect("signup_sent")
    return render(request, "registration/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_sent.html")


@transaction.atomic
def request_account(email: str, password: str) -> None:
    """Mail a confirmation link for a new address, or a notice to an existing account's owner.

    The password is hashed on both paths so the two take the same time.
    """
    users = get_user_model()._default_manager
    hashed = make_password(password)
    existing = (
        users.select_for_update().filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
    )
    if existing is not None and not is_pending(existing):
        after_commit(send_signup_attempt_notice, existing.pk)
        return
    # A new address, or one whose sign-up was never confirmed: the latest sign-up's password
    # stands, and only whoever reads the mailbox can confirm it.
    user = existing or users.model(username=email, email=email, is_active=False)
    user.password = hashed
    user.save()
    after_commit(send_signup_confirmation, user.pk)


def is_pending(user) -> bool:
    """A sign-up not confirmed yet. An account deactivated by an admin (it has logged in
    before) is not one: signing up again must never bring it back."""
    return not user.is_active and user.last_login is None


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = pending_user(uidb64, token)
    if user is None or request.method == "GET":
        # GET only shows a button: mail scanners that open links create no account.
        context = {"valid": user is not None, "email": user.email if user else ""}
        return render(request, "registration/signup_confirm.html", context)
    activate_account(user)
    login(request, user, backend="tracker.auth.EmailOrUsernameBackend")
    messages.success(
        request,
        "Welcome to Tasklink. Your organization has a sample project to try things on.",
    )
    return redirect("issue_list")


def pending_user(uidb64: str, token: str):
    """The unconfirmed account a confirmation link names, if the link is still good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = get_user_model()._default_manager.filter(pk=pk).first()
    if user is None or not is_pending(user) or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def activate_account(user) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])
    create_workspace(user)


@transaction.atomic
def create_account(email: str, password: str):
    """A confirmed user with their workspace (for tests and scripts; people sign up by mail)."""
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    create_workspace(user)
    return user


def create_workspace(user) -> None:
    """The person's own organization, and a sample project with a few issues."""
    email = user.email
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


def _reset_rate(group, request) -> str:
    return settings.PASSWORD_RESET_RATE


def normalized_email(group, request) -> str:
    """The reset limit's key: `Eve@x`, `EVE@x` and `" eve@X "` are one mailbox."""
    return request.POST.get("email", "").replace("\x00", "").strip().lower()[:254]


@method_decorator(
    [
        ratelimit(key="ip", rate=_reset_rate, method="POST", block=False),
        ratelimit(key=normalized_email, rate=_reset_rate, method="POST", block=False),
    ],
    name="post",
)
class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, throttled, with the mail sent by the worker: the answer and its timing
    never say whether the email has an account."""

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, TOO_MANY)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        after_commit(send_password_reset, form.cleaned_data["email"])
        return redirect(self.get_success_url())
