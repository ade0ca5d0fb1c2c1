from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` with a key made on the profile page."""

    keyword = "Token"

    def authenticate_credentials(self, key: str):
        token = (
            ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            # Coarse on purpose: one write per token per five minutes.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
