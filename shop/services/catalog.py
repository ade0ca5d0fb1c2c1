"""Catalog writes: products, variants, images, and the denormalised fields
listing pages read (min_price, in_stock, the search index)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override
from modeltranslation.utils import build_localized_fieldname

from core.exceptions import ApplicationError
from core.i18n import translated_languages
from core.images import image_reencode
from core.markdown import render_markdown
from core.money import quantize
from shop.cache import catalog_changed
from shop.models import Product, ProductImage, ProductTag, Variant
from shop.services.search_index import search_index_update, search_index_update_for_tags
from shop.services.stock import lock_variants, stock_set

IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
# The sizes the pages use, made once at upload.
IMAGE_LARGE_SIDE = 1200
IMAGE_CARD_SIDE = 480
IMAGE_THUMB_SIDE = 120


def unique_slug(model, text: str, *, exclude_pk=None, max_length: int = 200) -> str:
    base = slugify(text)[: max_length - 8] or "item"
    slug, n = base, 2
    qs = model.objects.all() if exclude_pk is None else model.objects.exclude(pk=exclude_pk)
    while qs.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def product_refresh(*, product_id: int) -> None:
    """Recompute what listing pages read from the product row alone:
    the from-price, whether anything is in stock, the rendered description
    and its search index in every language."""
    product = Product.objects.select_related("brand").get(pk=product_id)
    variants = Variant.objects.filter(product_id=product_id, is_active=True)
    min_price = variants.aggregate(m=Min("price"))["m"] or Decimal("0")
    in_stock = variants.filter(stock__gt=F("reserved")).exists()
    updates = {"min_price": min_price, "in_stock": in_stock}
    for language in translated_languages():
        field = build_localized_fieldname("description", language)
        updates[build_localized_fieldname("description_html", language)] = render_markdown(
            getattr(product, field) or ""
        )
    Product.objects.filter(pk=product_id).update(**updates)
    search_index_update(product_ids=[product_id])
    catalog_changed()


def localized(field: str, language: str | None = None) -> str:
    """The column of a translated field (shop/translation.py) in a language,
    the default language if none: "name" -> "name_en", ("name", "id") ->
    "name_ind". Writes name their column: a plain `name=` would go to the
    column of whatever language the request happens to be in."""
    return build_localized_fieldname(field, language or settings.LANGUAGE_CODE)


def translated_values(
    values: dict[str, str], translations: dict[str, dict[str, str]] | None = None
) -> dict[str, str]:
    """Column values for default-language `values` ({"name": "Shirt"}) and
    `translations` by language ({"id": {"name": "Kemeja"}})."""
    columns = {localized(field): value for field, value in values.items()}
    for language, fields in (translations or {}).items():
        if language == settings.LANGUAGE_CODE:
            continue
        for field, value in fields.items():
            columns[localized(field, language)] = value
    return columns


def product_tags_set(
    *, product: Product, tags: list[str], translations: dict[str, list[str]] | None = None
) -> None:
    """Tag a product by the tags' default-language names; `translations`
    gives a language's names in the same order ("" keeps the tag's current
    translation). A translated name another tag already has is refused."""
    # taggit finds tags by `name`, which reads the active language's column.
    with override(settings.LANGUAGE_CODE):
        product.tags.set(tags)
    for language, names in (translations or {}).items():
        column = localized("name", language)
        for name, translated in zip(tags, names, strict=False):
            translated = translated.strip()
            if not translated:
                continue
            tag = ProductTag.objects.get(**{localized("name"): name})
            if getattr(tag, column) == translated:
                continue
            if ProductTag.objects.exclude(pk=tag.pk).filter(**{column: translated}).exists():
                raise ApplicationError(
                    _("Another tag is already called “%(name)s” in %(language)s.")
                    % {
                        "name": translated,
                        "language": dict(settings.LANGUAGES).get(language, language),
                    },
                    code="tag_translation_taken",
                )
            ProductTag.objects.filter(pk=tag.pk).update(**{column: translated})
            # Every product with the tag is searched by its new name.
            search_index_update_for_tags(tag_ids=[tag.pk])


@transaction.atomic
def product_create(
    *,
    name: str,
    category,
    price: Decimal,
    sku: str,
    stock: int = 0,
    brand=None,
    description: str = "",
    tags: list[str] | None = None,
    is_published: bool = False,
    slug: str = "",
    translations: dict[str, dict[str, str]] | None = None,
    tag_translations: dict[str, list[str]] | None = None,
    **fields,
) -> Product:
    """A product with its default variant (a product without options).
    `name` and `description` are in the default language; `translations`
    holds other languages' {"name": ..., "description": ...}."""
    product = Product.objects.create(
        **translated_values({"name": name, "description": description}, translations),
        slug=slug or unique_slug(Product, name),
        category=category,
        brand=brand,
        is_published=is_published,
        **fields,
    )
    if tags:
        product_tags_set(product=product, tags=tags, translations=tag_translations)
    Variant.objects.create(product=product, sku=sku, price=price, stock=stock)
    product_refresh(product_id=product.pk)
    product.refresh_from_db()
    return product


@transaction.atomic
def variant_add(
    *,
    product: Product,
    sku: str,
    price: Decimal,
    stock: int = 0,
    options: dict | None = None,
    compare_at_price: Decimal | None = None,
) -> Variant:
    variant = Variant.objects.create(
        product=product,
        sku=sku,
        price=price,
        stock=stock,
        options=options or {},
        compare_at_price=compare_at_price,
        position=product.variants.count(),
    )
    product_refresh(product_id=product.pk)
    return variant


@transaction.atomic
def variant_set_stock(*, variant_id: int, stock: int) -> bool:
    """Staff sets stock (under the row lock). Returns True, and announces it,
    when the variant comes back in stock."""
    from core.events import publish
    from shop.events import VariantBackInStock

    # stock_set keeps in_stock and the cached pages in step; nothing else
    # that product_refresh recomputes depends on stock.
    back = stock_set(variant_id=variant_id, stock=stock)
    variant = Variant.objects.get(pk=variant_id)
    if back:
        publish(VariantBackInStock(variant_id=variant.pk, product_id=variant.product_id))
    return back


@transaction.atomic
def product_image_add(
    *, product: Product, upload, alt_text: str = "", position: int | None = None
) -> ProductImage:
    """Check and re-encode an untrusted upload; make the page sizes now."""
    large = image_reencode(
        upload, max_bytes=IMAGE_MAX_BYTES, max_pixels=IMAGE_MAX_PIXELS, max_side=IMAGE_LARGE_SIDE
    )
    card = image_reencode(
        large, max_bytes=IMAGE_MAX_BYTES, max_pixels=IMAGE_MAX_PIXELS, square_size=IMAGE_CARD_SIDE
    )
    thumb = image_reencode(
        large, max_bytes=IMAGE_MAX_BYTES, max_pixels=IMAGE_MAX_PIXELS, square_size=IMAGE_THUMB_SIDE
    )
    image = ProductImage(
        product=product,
        alt_text=alt_text or product.name,
        position=product.images.count() if position is None else position,
    )
    image.image.save("large.webp", large, save=False)
    image.card.save("card.webp", card, save=False)
    image.thumb.save("thumb.webp", thumb, save=False)
    image.save()
    catalog_changed()
    return image


@transaction.atomic
def products_set_published(*, product_ids: list[int], published: bool) -> int:
    catalog_changed()
    return Product.objects.filter(pk__in=product_ids).update(is_published=published)


@transaction.atomic
def products_set_featured(*, product_ids: list[int], featured: bool) -> int:
    catalog_changed()
    return Product.objects.filter(pk__in=product_ids).update(is_featured=featured)


@transaction.atomic
def variants_change_price(*, product_ids: list[int], percent: Decimal) -> int:
    """Raise or lower every variant price of the products by `percent`,
    under the variant row locks (taken in pk order like checkout)."""
    ids = Variant.objects.filter(product_id__in=product_ids).values_list("pk", flat=True)
    variants = list(lock_variants(ids).values())
    factor = (Decimal(100) + Decimal(percent)) / Decimal(100)
    now = timezone.now()
    for variant in variants:
        variant.price = max(quantize(variant.price * factor), Decimal("0"))
        variant.updated_at = now
    Variant.objects.bulk_update(variants, ["price", "updated_at"])
    for product_id in sorted({v.product_id for v in variants}):
        product_refresh(product_id=product_id)
    return len(variants)


def products_refresh_all() -> int:
    ids = list(Product.objects.values_list("pk", flat=True))
    for pk in ids:
        product_refresh(product_id=pk)
    return len(ids)
