"""Forum categories per language (django-modeltranslation), as the shop's
catalogue does (shop/translation.py): `name_en`, `name_ind`... columns on the
category's own table; reading `name` gives the active language's value,
falling back to English when the translation is empty."""

from modeltranslation.translator import TranslationOptions, register

from community.models import ForumCategory


@register(ForumCategory)
class ForumCategoryTranslation(TranslationOptions):
    fields = ("name", "description")
