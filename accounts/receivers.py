"""allauth's signals, translated into our own events (CONVENTIONS §3)."""

from __future__ import annotations

from allauth.account.signals import (
    email_confirmed,
    password_changed,
    password_reset,
    password_set,
    user_signed_up,
)
from django.dispatch import receiver
from django_structlog.signals import bind_extra_request_metadata
from structlog.contextvars import bind_contextvars

from accounts.events import EmailVerified, UserSignedUp
from accounts.network import client_ip
from accounts.services import api_tokens_revoke_all
from core.events import publish

# Where a `?ref=<code>` link's code waits in the session until sign-up.
REFERRAL_SESSION_KEY = "referred_by_code"


@receiver(user_signed_up)
def on_user_signed_up(sender, request, user, **kwargs) -> None:
    code = request.session.get(REFERRAL_SESSION_KEY, "") if request is not None else ""
    if code and not user.referred_by_code:
        type(user).objects.filter(pk=user.pk).update(referred_by_code=str(code)[:32])
    publish(UserSignedUp(user_id=user.pk))


@receiver(email_confirmed)
def on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    publish(EmailVerified(user_id=email_address.user_id, email=email_address.email))


@receiver(password_changed)
@receiver(password_reset)
@receiver(password_set)
def on_password_replaced(sender, request, user, **kwargs) -> None:
    api_tokens_revoke_all(user=user)


@receiver(bind_extra_request_metadata)
def on_request_log_context(sender, request, **kwargs) -> None:
    """Request logs name the client the rate limits see (accounts.network),
    not django-structlog's guess from the left-most, forgeable X-Forwarded-For."""
    bind_contextvars(ip=client_ip(request))
