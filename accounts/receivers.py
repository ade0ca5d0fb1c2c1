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

from accounts.events import EmailVerified, UserSignedUp
from accounts.services import api_tokens_revoke_all
from core.events import publish


@receiver(user_signed_up)
def on_user_signed_up(sender, request, user, **kwargs) -> None:
    publish(UserSignedUp(user_id=user.pk))


@receiver(email_confirmed)
def on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    publish(EmailVerified(user_id=email_address.user_id, email=email_address.email))


@receiver(password_changed)
@receiver(password_reset)
@receiver(password_set)
def on_password_replaced(sender, request, user, **kwargs) -> None:
    api_tokens_revoke_all(user=user)
