from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase
from treebeard.mp_tree import MP_Node

from core.models import BaseModel

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Category(MP_Node):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    image = models.ImageField(_("image"), upload_to="categories/", blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    node_order_by = ["position", "name"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:category", kwargs={"slug": self.slug})


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class ProductTag(TagBase):
    """A product tag. The shop's own tag model (not taggit's shared one) so
    its name can be translated; the slug, used in links and filters, is the
    same in every language."""

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")


class TaggedProduct(TaggedItemBase):
    content_object = models.ForeignKey("Product", on_delete=models.CASCADE)
    tag = models.ForeignKey(ProductTag, on_delete=models.CASCADE, related_name="tagged_products")

    class Meta:
        verbose_name = _("tagged product")
        verbose_name_plural = _("tagged products")
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="shop_taggedproduct_unique"
            )
        ]


class ProductQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def visible(self, now=None):
        """Published and launched. Early access (loyalty) widens this through a hook."""
        now = now or timezone.now()
        return self.published().filter(Q(available_from__isnull=True) | Q(available_from__lte=now))


class Product(BaseModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    brand = models.ForeignKey(
        Brand,
        verbose_name=_("brand"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    tags = TaggableManager(_("tags"), through=TaggedProduct, blank=True)
    seo_title = models.CharField(_("SEO title"), max_length=70, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=160, blank=True)
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    is_featured = models.BooleanField(_("featured"), default=False)
    available_from = models.DateTimeField(
        _("launch date"),
        null=True,
        blank=True,
        help_text=_("Hidden from the public before this moment (early access can open it sooner)."),
    )
    # Denormalised for listing pages: kept current by the catalog services.
    min_price = models.DecimalField(_("from price"), default=Decimal("0"), editable=False, **MONEY)
    in_stock = models.BooleanField(_("in stock"), default=False, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    sales_count = models.PositiveIntegerField(_("units sold"), default=0, editable=False)
    # The search index of each language (shop/services/search_index.py), on
    # PostgreSQL; SQLite keeps it in FTS5 tables of its own.
    search_vector_en = SearchVectorField(null=True, editable=False)
    search_vector_ind = SearchVectorField(null=True, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(
                fields=["is_published", "category", "-created_at"], name="shop_product_listing_idx"
            ),
            models.Index(fields=["min_price"], name="shop_product_price_idx"),
            models.Index(fields=["-sales_count"], name="shop_product_sales_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:product", kwargs={"slug": self.slug})


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(BaseModel):
    """An upload, re-encoded on the way in, with the thumbnails the pages use
    made once at upload time (never on a page view)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=product_image_path)
    card = models.ImageField(upload_to=product_image_path, editable=False, blank=True)
    thumb = models.ImageField(upload_to=product_image_path, editable=False, blank=True)
    alt_text = models.CharField(_("alt text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return self.alt_text or f"{self.product} #{self.position}"


class Variant(BaseModel):
    """A buyable thing: its own SKU, price and stock. `stock` is what is on
    the shelf; `reserved` is held by unpaid orders. Both change only under a
    row lock (shop.services.stock), and the database refuses negatives."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    options = models.JSONField(
        _("options"),
        default=dict,
        blank=True,
        help_text=_(
            'Option name to value, e.g. {"Size": "M", "Colour": "Red"}. Empty for the default variant.'
        ),
    )
    price = models.DecimalField(_("price"), **MONEY)
    compare_at_price = models.DecimalField(_("compare-at price"), null=True, blank=True, **MONEY)
    stock = models.IntegerField(_("stock"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="shop_variant_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="shop_variant_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("stock")), name="shop_variant_reserved_within_stock"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="shop_variant_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        label = self.options_label
        return f"{self.product.name} ({label})" if label else self.product.name

    @property
    def options_label(self) -> str:
        return " / ".join(str(v) for v in (self.options or {}).values())

    @property
    def available(self) -> int:
        return max(self.stock - self.reserved, 0)

    @property
    def on_sale(self) -> bool:
        return bool(self.compare_at_price and self.compare_at_price > self.price)
