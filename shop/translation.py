"""Catalogue content per language (django-modeltranslation).

Each registered field gets one column per language in settings.LANGUAGES
(`name_en`, `name_id`, ...) on the model's own table, and reading `name`
gives the active language's value, falling back to the default language
when the translation is empty. One row, no join: a product card costs the
same query in every language, and the search indexes are plain columns."""

from modeltranslation.translator import TranslationOptions, register

from shop.models import Category, Product, ProductTag, ShippingMethod


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Product)
class ProductTranslation(TranslationOptions):
    fields = ("name", "description", "description_html", "seo_title", "seo_description")


@register(ProductTag)
class ProductTagTranslation(TranslationOptions):
    fields = ("name",)


@register(ShippingMethod)
class ShippingMethodTranslation(TranslationOptions):
    fields = ("name", "description")
