"""Referrals: a code per member, the link made at sign-up, and the reward of
both members when the referred one's first order is paid."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from loyalty.models import Referral, ReferralCode
from loyalty.selectors.referrals import referral_code_owner

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def referral_code_for(*, user_id: int) -> str:
    """The member's referral code, made on first use."""
    existing = ReferralCode.objects.filter(user_id=user_id).values_list("code", flat=True).first()
    if existing:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                ReferralCode.objects.get_or_create(user_id=user_id, defaults={"code": code})
        except IntegrityError:
            continue  # someone else's code: draw again
        return ReferralCode.objects.get(user_id=user_id).code
    raise RuntimeError("No free referral code found.")


def referral_link_on_signup(*, user_id: int) -> Referral | None:
    """Link the new member to the member whose code they arrived with
    (accounts keeps it as `referred_by_code`). Once; never to oneself, nor
    to a member who has left since."""
    code = (
        get_user_model()
        .objects.filter(pk=user_id)
        .values_list("referred_by_code", flat=True)
        .first()
    )
    if not code:
        return None
    referrer_id = referral_code_owner(code=code.strip().upper())
    if referrer_id is None or referrer_id == user_id:
        return None
    referral, _created = Referral.objects.get_or_create(
        referred_id=user_id, defaults={"referrer_id": referrer_id}
    )
    return referral


def referral_first_order(*, user_id: int, order_id: int) -> Referral | None:
    """The member's referral, when `order_id` is their first paid order
    (the first to claim it; the same order again on a redelivery)."""
    Referral.objects.filter(referred_id=user_id, first_order_id__isnull=True).update(
        first_order_id=order_id
    )
    return Referral.objects.filter(referred_id=user_id, first_order_id=order_id).first()
