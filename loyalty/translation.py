"""Badge and challenge names per language (django-modeltranslation), as the
shop's catalogue does (shop/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from loyalty.models import Badge, Challenge


@register(Badge)
class BadgeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Challenge)
class ChallengeTranslation(TranslationOptions):
    fields = ("name", "description")
