"""Loyalty content per language (django-modeltranslation), as the shop's
catalogue does (shop/translation.py): reading `name` gives the active
language's value, falling back to English when the translation is empty."""

from modeltranslation.translator import TranslationOptions, register

from loyalty.models import Badge, Challenge, Reward, Tier


@register(Tier)
class TierTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Badge)
class BadgeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Challenge)
class ChallengeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Reward)
class RewardTranslation(TranslationOptions):
    fields = ("name", "description")
