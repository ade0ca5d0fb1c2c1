"""Django's own signals, translated (CONVENTIONS §3): a member who signs in
gets their points balance read into the header's cache once, so their pages
never query for it."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from loyalty.selectors.rewards import cached_balance


@receiver(user_logged_in, dispatch_uid="loyalty.warm_balance")
def warm_balance(sender, request, user, **kwargs) -> None:
    cached_balance(user_id=user.pk)
