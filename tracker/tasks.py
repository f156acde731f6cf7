"""Account mails, sent by the Celery worker so a request's timing says nothing about whether
an email has an account (the request does the same work either way)."""

from __future__ import annotations

from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def after_commit(task, *args) -> None:
    """Queue a mail once the request's changes are stored (never for a rolled-back one)."""
    transaction.on_commit(lambda: task.delay(*args))


def _site() -> tuple[str, bool]:
    # Links in mails always point at APP_BASE_URL, never at the Host header of a request.
    base = urlsplit(settings.APP_BASE_URL)
    return base.netloc, base.scheme == "https"


@shared_task
def send_password_reset(email: str) -> None:
    """Django's reset mail to every active account with this email (none: nothing)."""
    domain, use_https = _site()
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)


@shared_task
def send_signup_confirmation(user_id: int) -> None:
    """The link that finishes a sign-up, for the person who holds the mailbox."""
    user = (
        get_user_model()
        ._default_manager.filter(pk=user_id, is_active=False, last_login__isnull=True)
        .first()
    )
    if user is None:
        return
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("signup_confirm", args=[uidb64, default_token_generator.make_token(user)])
    context = {"link": settings.APP_BASE_URL + path, "email": user.email}
    send_mail(
        "Finish signing up to Tasklink",
        render_to_string("registration/signup_confirm_email.txt", context),
        None,
        [user.email],
    )


@shared_task
def send_signup_attempt_notice(user_id: int) -> None:
    """Someone signed up with an address that already has an account: tell its owner."""
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    context = {
        "login": settings.APP_BASE_URL + reverse("login"),
        "reset": settings.APP_BASE_URL + reverse("password_reset"),
        "email": user.email,
    }
    send_mail(
        "Someone tried to sign up to Tasklink with your email",
        render_to_string("registration/signup_existing_email.txt", context),
        None,
        [user.email],
    )
