"""The shop's staff side. Anything with a business rule (stock, images,
prices, order transitions) is written through shop.services; the admin
parses input, calls a service and reports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override
from modeltranslation.admin import TranslationAdmin
from taggit.forms import TagWidget
from taggit.models import Tag
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from core.exceptions import ApplicationError
from core.money import format_money
from shop import csv_io
from shop.admin_forms import (
    PriceChangeForm,
    ProductImageInlineForm,
    ProductImportForm,
    RefundForm,
    ShipForm,
    StockSetForm,
    VariantForm,
    VariantInlineForm,
)
from shop.cache import catalog_changed
from shop.models import (
    Address,
    Brand,
    Cart,
    CartLine,
    Category,
    Coupon,
    CouponRedemption,
    Order,
    OrderAdjustment,
    OrderHistory,
    OrderLine,
    Payment,
    Product,
    ProductImage,
    ProductTag,
    ShippingMethod,
    StockAlert,
    Variant,
    WebhookReceipt,
    WishlistItem,
)
from shop.services import orders as order_services
from shop.services.catalog import (
    product_image_add,
    product_refresh,
    products_set_featured,
    products_set_published,
    variant_add,
    variant_set_stock,
    variants_change_price,
)
from shop.services.search_index import (
    search_index_update,
    search_index_update_for_brands,
    search_index_update_for_tags,
)

ACTION_TEMPLATE = "admin/shop/action_form.html"


class SaveFormFieldsMixin:
    """Save only the columns the form edits, so a staff save never writes
    back stale copies of counters and denormalised columns that services
    keep (times_used, reserved, min_price, sales_count...)."""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            return
        names = [f.name for f in obj._meta.concrete_fields if f.name in form.fields]
        if hasattr(obj, "updated_at"):
            names.append("updated_at")
        obj.save(update_fields=names)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records staff look at but never edit (payments, webhooks, carts)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _action_page(modeladmin, request, queryset, *, form, action: str, title: str, intro: str):
    """An intermediate page for a bulk action; it posts back to the
    changelist with the same selection and `apply`."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "objects": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected_ids": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, ACTION_TEMPLATE, context)


# --- Catalog --------------------------------------------------------------------------


class CatalogueEditAdminMixin:
    """Saving, moving or deleting something the storefront shows (a category's
    or a brand's name, a category's place in the tree, a product) orphans the
    cached storefront pages after the commit, and says so."""

    def _catalogue_edited(self, request, what) -> None:
        catalog_changed(reason=f"{self.model._meta.model_name} {what} edited in the admin")
        self.message_user(
            request,
            _("Storefront pages that show it are rendered afresh from now on."),
            messages.INFO,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._catalogue_edited(request, obj.pk)

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        self._catalogue_edited(request, pk)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._catalogue_edited(request, "(bulk delete)")


# Translated fields (shop/translation.py) are edited side by side, one box per
# language ("Name [en]", "Name [id]"); TranslationAdmin swaps them in for the
# plain field wherever it is listed. Searches and the slug look at the
# English column, which every row has.


class DefaultLanguageTagWidget(TagWidget):
    def format_value(self, value):
        with override(settings.LANGUAGE_CODE):
            return super().format_value(value)


class LanguageLabelsMixin:
    """Translated fields labelled with their language's name ("Name (Bahasa
    Indonesia)") rather than modeltranslation's column suffix ("Name [ind]")."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        language = getattr(db_field, "language", None)
        if formfield is not None and language:
            name = capfirst(db_field.translated_field.verbose_name)
            formfield.label = f"{name} ({dict(settings.LANGUAGES).get(language, language)})"
        return formfield


@admin.register(Category)
class CategoryAdmin(CatalogueEditAdminMixin, LanguageLabelsMixin, TranslationAdmin, TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "slug", "position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name_en", "name_ind", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def move_node(self, request):
        response = super().move_node(request)
        catalog_changed(reason="category moved in the admin")
        return response


@admin.register(Brand)
class BrandAdmin(CatalogueEditAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "product_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        search_index_update_for_brands(brand_ids=[obj.pk])  # brand names are searched

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_product_count=Count("products"))

    @admin.display(description=gettext_lazy("products"), ordering="_product_count")
    def product_count(self, obj) -> int:
        return obj._product_count


class VariantInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            variant = form.instance
            if variant.pk and Variant.objects.filter(pk=variant.pk, reserved__gt=0).exists():
                raise ValidationError(
                    _("%(sku)s has units held by unpaid orders and cannot be deleted.")
                    % {"sku": variant.sku}
                )


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantInlineForm
    formset = VariantInlineFormSet
    fields = [
        "sku",
        "options",
        "price",
        "compare_at_price",
        "stock",
        "reserved",
        "is_active",
        "position",
    ]
    readonly_fields = ["reserved"]
    extra = 0
    min_num = 1
    validate_min = True


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageInlineForm
    fields = ["preview", "upload", "alt_text", "position"]
    readonly_fields = ["preview"]
    extra = 1

    @admin.display(description=gettext_lazy("image"))
    def preview(self, obj) -> str:
        if obj.pk and obj.card:
            return format_html(
                '<img src="{}" width="120" height="120" alt="{}" class="shop-admin-card">',
                obj.card.url,
                obj.alt_text,
            )
        return "—"


class InStockFilter(admin.SimpleListFilter):
    title = gettext_lazy("stock")
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("in", _("In stock")), ("out", _("Sold out"))]

    def queryset(self, request, queryset):
        if self.value() == "in":
            return queryset.filter(in_stock=True)
        if self.value() == "out":
            return queryset.filter(in_stock=False)
        return queryset


@admin.register(Product)
class ProductAdmin(SaveFormFieldsMixin, LanguageLabelsMixin, TranslationAdmin):
    change_list_template = "admin/shop/product/change_list.html"
    list_display = [
        "thumbnail",
        "name",
        "price_from",
        "in_stock",
        "is_published",
        "is_featured",
        "available_from",
        "category",
        "brand",
    ]
    list_display_links = ["thumbnail", "name"]
    list_filter = ["is_published", "is_featured", InStockFilter, "category", "brand"]
    search_fields = [
        "name_en",
        "name_ind",
        "slug",
        "variants__sku",
        "brand__name",
        "tags__name_en",
        "tags__name_ind",
    ]
    autocomplete_fields = ["brand", "category"]
    prepopulated_fields = {"slug": ["name_en"]}
    list_select_related = ["brand", "category"]
    list_per_page = 50
    readonly_fields = ["price_from", "in_stock", "sales_count", "view_count", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "category", "brand", "tags"]}),
        (gettext_lazy("Description"), {"fields": ["description"]}),
        (
            gettext_lazy("Visibility"),
            {"fields": ["is_published", "is_featured", "available_from"]},
        ),
        (
            gettext_lazy("Search engines"),
            {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]},
        ),
        (
            gettext_lazy("Figures"),
            {"fields": ["price_from", "in_stock", "sales_count", "view_count", "created_at"]},
        ),
    ]
    inlines = [VariantInline, ProductImageInline]
    actions = [
        "publish",
        "unpublish",
        "feature",
        "unfeature",
        "change_prices",
        "set_stock",
        "export_csv",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("brand", "category")
            .prefetch_related(
                Prefetch(
                    "images",
                    queryset=ProductImage.objects.order_by("position", "pk"),
                    to_attr="ordered_images",
                )
            )
        )

    @admin.display(description=gettext_lazy("image"))
    def thumbnail(self, obj) -> str:
        images = getattr(obj, "ordered_images", None)
        if images is None:
            images = list(obj.images.order_by("position", "pk")[:1])
        if images and images[0].thumb:
            return format_html(
                '<img src="{}" width="48" height="48" alt="" loading="lazy">', images[0].thumb.url
            )
        return "—"

    @admin.display(description=gettext_lazy("from price"), ordering="min_price")
    def price_from(self, obj) -> str:
        return format_money(obj.min_price)

    # Saving: variants and images go through the catalog services.

    def save_formset(self, request, form, formset, change):
        if formset.model is Variant:
            self._save_variants(request, form.instance, formset)
        elif formset.model is ProductImage:
            self._save_images(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_variants(self, request, product, formset) -> None:
        formset.save(commit=False)
        for variant in formset.deleted_objects:
            variant.delete()
        editable = ["sku", "options", "price", "compare_at_price", "is_active", "position"]
        for variant_form in formset.forms:
            variant = variant_form.instance
            if variant_form in formset.deleted_forms or not variant_form.has_changed():
                continue
            data = variant_form.cleaned_data
            if variant.pk is None or variant in formset.new_objects:
                created = variant_add(
                    product=product,
                    sku=data["sku"],
                    price=data["price"],
                    stock=data.get("stock") or 0,
                    options=data.get("options") or {},
                    compare_at_price=data.get("compare_at_price"),
                )
                Variant.objects.filter(pk=created.pk).update(
                    is_active=data.get("is_active", True), position=data.get("position") or 0
                )
                variant_form.instance = created
                continue
            variant.save(update_fields=[*editable, "updated_at"])
            if "stock" in variant_form.changed_data:
                try:
                    variant_set_stock(variant_id=variant.pk, stock=data["stock"])
                except ApplicationError as exc:
                    self.message_user(
                        request, f"{variant.sku}: {exc.message}", level=messages.ERROR
                    )

    def _save_images(self, request, product, formset) -> None:
        formset.save(commit=False)
        for image in formset.deleted_objects:
            for field in (image.image, image.card, image.thumb):
                if field:
                    field.delete(save=False)
            image.delete()
        for image_form in formset.forms:
            if image_form in formset.deleted_forms or not image_form.has_changed():
                continue
            data = image_form.cleaned_data
            if image_form.instance.pk is None:
                product_image_add(
                    product=product,
                    upload=data["upload"],
                    alt_text=data.get("alt_text", ""),
                    position=data.get("position"),
                )
            else:
                image_form.instance.save(update_fields=["alt_text", "position", "updated_at"])

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "tags":
            # Tags are typed and shown by their English names whatever the
            # admin's language, so a tag is found, not created twice.
            formfield.widget = DefaultLanguageTagWidget()
            formfield.help_text = _(
                "Comma-separated, by their English names; translate tag names under Tags."
            )
        return formfield

    def save_related(self, request, form, formsets, change):
        # taggit finds tags by `name`, the active language's column.
        with override(settings.LANGUAGE_CODE):
            super().save_related(request, form, formsets, change)
        product_refresh(product_id=form.instance.pk)

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        search_index_update(product_ids=[pk])  # SQLite's index lives apart from the rows
        catalog_changed(reason="product deleted in the admin")

    def delete_queryset(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        search_index_update(product_ids=pks)
        catalog_changed(reason="products deleted in the admin")

    # Bulk actions.

    @admin.action(description=gettext_lazy("Publish selected products"), permissions=["change"])
    def publish(self, request, queryset):
        count = products_set_published(
            product_ids=list(queryset.values_list("pk", flat=True)), published=True
        )
        self.message_user(
            request,
            ngettext("%(count)d product published.", "%(count)d products published.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Unpublish selected products"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = products_set_published(
            product_ids=list(queryset.values_list("pk", flat=True)), published=False
        )
        self.message_user(
            request,
            ngettext("%(count)d product unpublished.", "%(count)d products unpublished.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Feature selected products"), permissions=["change"])
    def feature(self, request, queryset):
        count = products_set_featured(
            product_ids=list(queryset.values_list("pk", flat=True)), featured=True
        )
        self.message_user(
            request,
            ngettext("%(count)d product featured.", "%(count)d products featured.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Stop featuring selected products"), permissions=["change"]
    )
    def unfeature(self, request, queryset):
        count = products_set_featured(
            product_ids=list(queryset.values_list("pk", flat=True)), featured=False
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d product no longer featured.",
                "%(count)d products no longer featured.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Change prices by a percentage…"), permissions=["change"]
    )
    def change_prices(self, request, queryset):
        if "apply" in request.POST:
            form = PriceChangeForm(request.POST)
            if form.is_valid():
                count = variants_change_price(
                    product_ids=list(queryset.values_list("pk", flat=True)),
                    percent=form.cleaned_data["percent"],
                )
                self.message_user(
                    request,
                    ngettext(
                        "Price changed by %(percent)s%% on %(count)d variant.",
                        "Price changed by %(percent)s%% on %(count)d variants.",
                        count,
                    )
                    % {"percent": form.cleaned_data["percent"], "count": count},
                    messages.SUCCESS,
                )
                return None
        else:
            form = PriceChangeForm()
        return _action_page(
            self,
            request,
            queryset,
            form=form,
            action="change_prices",
            title=_("Change prices"),
            intro=_("Every variant of these products gets the new price, rounded to the Rupiah."),
        )

    @admin.action(description=gettext_lazy("Set stock…"), permissions=["change"])
    def set_stock(self, request, queryset):
        if "apply" in request.POST:
            form = StockSetForm(request.POST)
            if form.is_valid():
                stock = form.cleaned_data["stock"]
                done = 0
                variants = Variant.objects.filter(product__in=queryset, is_active=True).order_by(
                    "pk"
                )
                for variant_id, sku in variants.values_list("pk", "sku"):
                    try:
                        variant_set_stock(variant_id=variant_id, stock=stock)
                    except ApplicationError as exc:
                        self.message_user(request, f"{sku}: {exc.message}", messages.ERROR)
                    else:
                        done += 1
                if done:
                    self.message_user(
                        request,
                        ngettext(
                            "Stock set to %(stock)d on %(count)d variant.",
                            "Stock set to %(stock)d on %(count)d variants.",
                            done,
                        )
                        % {"stock": stock, "count": done},
                        messages.SUCCESS,
                    )
                return None
        else:
            form = StockSetForm()
        return _action_page(
            self,
            request,
            queryset,
            form=form,
            action="set_stock",
            title=_("Set stock"),
            intro=_(
                "Stock never goes below what unpaid orders hold; those variants are reported and left as they are."
            ),
        )

    @admin.action(description=gettext_lazy("Export selected products as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return _csv_response(queryset)

    # Import and export pages.

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _csv_response(Product.objects.all())

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            form = ProductImportForm(request.POST, request.FILES)
            if form.is_valid():
                result = csv_io.products_import_check(form.cleaned_data["file"])
                if result.ok:
                    try:
                        csv_io.products_import_apply(result)
                    except ApplicationError as exc:
                        result.errors.append(csv_io.RowError(0, "", exc.message))
                    else:
                        self.message_user(
                            request,
                            _(
                                "Import done: %(pc)d products created, %(pu)d updated; "
                                "%(vc)d variants created, %(vu)d updated, %(vn)d unchanged."
                            )
                            % {
                                "pc": result.products_created,
                                "pu": result.products_updated,
                                "vc": result.variants_created,
                                "vu": result.variants_updated,
                                "vn": result.variants_unchanged,
                            },
                            messages.SUCCESS,
                        )
                        return redirect(reverse("admin:shop_product_changelist"))
        else:
            form = ProductImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import products from CSV"),
            "opts": self.opts,
            "form": form,
            "result": result,
            "columns": csv_io.COLUMNS,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/shop/product/import.html", context)


def _csv_response(queryset) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        "\ufeff" + csv_io.products_export_csv(queryset), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="products-{stamp}.csv"'
    return response


@admin.register(ProductImage)
class ProductImageAdmin(ReadOnlyAdmin):
    list_display = ["preview", "product", "alt_text", "position", "created_at"]
    list_select_related = ["product"]
    search_fields = ["alt_text", "product__name"]
    autocomplete_fields = ["product"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return super(ReadOnlyAdmin, self).has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("image"))
    def preview(self, obj) -> str:
        if obj.thumb:
            return format_html('<img src="{}" width="48" height="48" alt="">', obj.thumb.url)
        return "—"


@admin.register(Variant)
class VariantAdmin(SaveFormFieldsMixin, admin.ModelAdmin):
    form = VariantForm
    list_display = [
        "sku",
        "product",
        "options_display",
        "price_display",
        "stock",
        "reserved",
        "is_active",
    ]
    list_filter = ["is_active"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__name"]
    autocomplete_fields = ["product"]
    fields = [
        "product",
        "sku",
        "options",
        "price",
        "compare_at_price",
        "stock",
        "reserved",
        "is_active",
        "position",
    ]
    # Stock is set on the product page or with the "Set stock" action,
    # both through the locking service.
    readonly_fields = ["stock", "reserved"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=gettext_lazy("options"))
    def options_display(self, obj) -> str:
        return options_text(obj.options)

    @admin.display(description=gettext_lazy("price"), ordering="price")
    def price_display(self, obj) -> str:
        return format_money(obj.price)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        product_refresh(product_id=obj.product_id)


# --- Orders ---------------------------------------------------------------------------

# The tones of the shop's own order badge (shop/orders/_status_badge.html).
ORDER_STATUS_TONES = {
    Order.Status.PENDING_PAYMENT: "warning",
    Order.Status.CANCELLED: "danger",
    Order.Status.REFUNDED: "danger",
}
PAYMENT_STATUS_TONES = {
    Payment.Status.PENDING: "warning",
    Payment.Status.SUCCEEDED: "success",
    Payment.Status.FAILED: "danger",
    Payment.Status.REFUND_DUE: "danger",
    Payment.Status.REFUNDED: "muted",
}
ADMIN_CSS = {"all": ["shop/css/admin.css"]}


def options_text(options) -> str:
    """A variant's options as staff read them: "Size: M, Colour: Red"."""
    if not isinstance(options, dict) or not options:
        return "—"
    return ", ".join(f"{name}: {value}" for name, value in options.items())


def status_badge(label, tone: str) -> str:
    return format_html('<span class="status-badge status-{}">{}</span>', tone, label)


def order_status_badge(status: str) -> str:
    label = Order.Status(status).label if status in Order.Status.values else status
    return status_badge(label, ORDER_STATUS_TONES.get(status, "success"))


def _money_display(field_name: str, model=Order, currency=lambda obj: obj.currency):
    """A read-only column or field showing a Decimal as the site does (Rp 653,000)."""

    @admin.display(description=model._meta.get_field(field_name).verbose_name, ordering=field_name)
    def display(self, obj) -> str:
        value = getattr(obj, field_name)
        return "—" if value is None else format_money(value, currency(obj))

    display.__name__ = f"{field_name}_display"
    return display


def _order_currency(obj) -> str:
    return obj.order.currency


class OrderPartInline(ReadOnlyInline):
    """Rows of an order whose money is shown in the order's currency."""

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")


class OrderLineInline(OrderPartInline):
    model = OrderLine
    fields = [
        "product_name",
        "sku",
        "options_label",
        "unit_price_display",
        "quantity",
        "line_total_display",
    ]
    readonly_fields = fields

    unit_price_display = _money_display("unit_price", OrderLine, _order_currency)
    line_total_display = _money_display("line_total", OrderLine, _order_currency)


class OrderHistoryInline(ReadOnlyInline):
    model = OrderHistory
    fields = ["created_at", "from_status_display", "to_status_display", "note", "actor"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=gettext_lazy("from"))
    def from_status_display(self, obj) -> str:
        return order_status_badge(obj.from_status) if obj.from_status else "—"

    @admin.display(description=gettext_lazy("to"))
    def to_status_display(self, obj) -> str:
        return order_status_badge(obj.to_status)


class OrderAdjustmentInline(OrderPartInline):
    model = OrderAdjustment
    fields = ["code", "label", "amount_display", "released_amount_display", "created_at"]
    readonly_fields = fields

    amount_display = _money_display("amount", OrderAdjustment, _order_currency)
    released_amount_display = _money_display("released_amount", OrderAdjustment, _order_currency)


class PaymentInline(OrderPartInline):
    model = Payment
    fields = ["created_at", "gateway", "reference", "amount_display", "status_badge", "message"]
    readonly_fields = fields

    amount_display = _money_display("amount", Payment, _order_currency)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, obj) -> str:
        return status_badge(obj.get_status_display(), PAYMENT_STATUS_TONES.get(obj.status, "muted"))


ORDER_MONEY_FIELDS = [
    "subtotal_display",
    "discount_total_display",
    "shipping_total_display",
    "tax_total_display",
    "total_display",
    "refunded_total_display",
]


class RefundDueFilter(admin.SimpleListFilter):
    """Orders holding money that must go back to the shopper."""

    title = gettext_lazy("refund due")
    parameter_name = "refund_due"

    def lookups(self, request, model_admin):
        return [("yes", _("Refund due")), ("no", _("Nothing due"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(refund_due__gt=0)
        if self.value() == "no":
            return queryset.filter(refund_due=0)
        return queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "email",
        "status_badge",
        "total_display",
        "refund_due_display",
        "paid_at",
        "created_at",
    ]
    list_filter = [RefundDueFilter, "status", "payment_gateway", "created_at", "paid_at"]
    search_fields = ["number", "email", "tracking_number", "payment_reference"]
    date_hierarchy = "created_at"
    list_per_page = 50
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "status_badge",
                    "email",
                    "user",
                    "language",
                    "created_at",
                    "paid_at",
                ]
            },
        ),
        (
            gettext_lazy("Money"),
            {"fields": [*ORDER_MONEY_FIELDS, "refund_due_display", "currency", "coupon_code"]},
        ),
        (
            gettext_lazy("Shipping"),
            {
                "fields": [
                    "shipping_method_name",
                    "address_display",
                    "carrier",
                    "tracking_number",
                ]
            },
        ),
        (
            gettext_lazy("Payment"),
            {"fields": ["payment_gateway", "payment_reference", "reserved_until"]},
        ),
        (gettext_lazy("Customer note"), {"fields": ["note"]}),
    ]
    inlines = [OrderLineInline, OrderAdjustmentInline, PaymentInline, OrderHistoryInline]
    actions = [
        "mark_paid",
        "mark_shipped",
        "mark_delivered",
        "complete",
        "cancel",
        "refund",
        "record_payment_after_cancel",
        "settle_refund_due",
    ]

    def get_readonly_fields(self, request, obj=None):
        # Nothing on an order is edited by hand: each change is a transition.
        return [
            "number",
            "status_badge",
            "email",
            "user",
            "language",
            "created_at",
            "paid_at",
            *ORDER_MONEY_FIELDS,
            "refund_due_display",
            "currency",
            "coupon_code",
            "shipping_method_name",
            "address_display",
            "carrier",
            "tracking_number",
            "payment_gateway",
            "payment_reference",
            "reserved_until",
            "note",
        ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    class Media:
        css = ADMIN_CSS

    subtotal_display = _money_display("subtotal")
    discount_total_display = _money_display("discount_total")
    shipping_total_display = _money_display("shipping_total")
    tax_total_display = _money_display("tax_total")
    total_display = _money_display("total")
    refunded_total_display = _money_display("refunded_total")

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, obj) -> str:
        return order_status_badge(obj.status)

    @admin.display(description=gettext_lazy("refund due"), ordering="refund_due")
    def refund_due_display(self, obj) -> str:
        if not obj.refund_due:
            return "—"
        return format_money(obj.refund_due, obj.currency)

    @admin.display(description=gettext_lazy("shipping address"))
    def address_display(self, obj) -> str:
        address = obj.shipping_address or {}
        keys = ["full_name", "phone", "line1", "line2", "city", "region", "postal_code", "country"]
        parts = [(address[key],) for key in keys if address.get(key)]
        return format_html_join(mark_safe("<br>"), "{}", parts) or "—"

    def _transition(self, request, queryset, run, done_message: str) -> None:
        done = []
        for order in queryset.order_by("pk"):
            try:
                run(order)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                done.append(order.number)
        if done:
            self.message_user(request, done_message % {"orders": ", ".join(done)}, messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Mark paid (bank transfer received)"), permissions=["change"]
    )
    def mark_paid(self, request, queryset):
        self._transition(
            request,
            queryset,
            lambda order: order_services.order_mark_paid(
                order_id=order.pk,
                payment_reference=order.payment_reference or f"staff:{request.user.pk}",
                actor=request.user,
            ),
            _("Marked paid: %(orders)s."),
        )

    @admin.action(description=gettext_lazy("Mark shipped…"), permissions=["change"])
    def mark_shipped(self, request, queryset):
        orders = list(queryset.order_by("pk"))
        if "apply" in request.POST:
            form = ShipForm(request.POST, orders=orders)
            if form.is_valid():
                self._transition(
                    request,
                    queryset,
                    lambda order: order_services.order_fulfil(
                        order_id=order.pk,
                        carrier=form.cleaned_data["carrier"],
                        tracking_number=form.tracking_for(order),
                        actor=request.user,
                    ),
                    _("Marked shipped: %(orders)s."),
                )
                return None
        else:
            form = ShipForm(orders=orders)
        return _action_page(
            self,
            request,
            queryset,
            form=form,
            action="mark_shipped",
            title=_("Mark orders shipped"),
            intro=_("The shopper is told the carrier and tracking number by email."),
        )

    @admin.action(description=gettext_lazy("Mark delivered"), permissions=["change"])
    def mark_delivered(self, request, queryset):
        self._transition(
            request,
            queryset,
            lambda order: order_services.order_mark_delivered(
                order_id=order.pk, actor=request.user
            ),
            _("Marked delivered: %(orders)s."),
        )

    @admin.action(description=gettext_lazy("Complete"), permissions=["change"])
    def complete(self, request, queryset):
        self._transition(
            request,
            queryset,
            lambda order: order_services.order_complete(order_id=order.pk, actor=request.user),
            _("Completed: %(orders)s."),
        )

    @admin.action(description=gettext_lazy("Cancel"), permissions=["change"])
    def cancel(self, request, queryset):
        self._transition(
            request,
            queryset,
            lambda order: order_services.order_cancel(
                order_id=order.pk, actor=request.user, reason=_("Cancelled by staff")
            ),
            _("Cancelled: %(orders)s."),
        )

    @admin.action(description=gettext_lazy("Refund…"), permissions=["change"])
    def refund(self, request, queryset):
        count = queryset.count()
        if "apply" in request.POST:
            form = RefundForm(request.POST, order_count=count)
            if form.is_valid():
                amount = form.cleaned_data.get("amount")
                reason = form.cleaned_data.get("reason", "")
                self._transition(
                    request,
                    queryset,
                    lambda order: order_services.order_refund(
                        order_id=order.pk, amount=amount, actor=request.user, reason=reason
                    ),
                    _("Refunded: %(orders)s."),
                )
                return None
        else:
            form = RefundForm(order_count=count)
        return _action_page(
            self,
            request,
            queryset,
            form=form,
            action="refund",
            title=_("Refund orders"),
            intro=_(
                "Record a refund made to the shopper. A full refund ends the order; on a "
                "cancelled order it settles the refund due."
            ),
        )

    @admin.action(
        description=gettext_lazy("Record transfer received after cancellation (refund due)"),
        permissions=["change"],
    )
    def record_payment_after_cancel(self, request, queryset):
        # The bank reference is the order number (see BankTransferGateway):
        # recording the same transfer twice changes nothing.
        self._transition(
            request,
            queryset,
            lambda order: order_services.payment_record_after_cancel(
                order_id=order.pk,
                gateway=order.payment_gateway,
                reference=order.payment_reference or order.number,
                amount=order.total,
                actor=request.user,
            ),
            _("Recorded; refund due: %(orders)s."),
        )

    @admin.action(
        description=gettext_lazy("Second payment returned (settle refund due)"),
        permissions=["change"],
    )
    def settle_refund_due(self, request, queryset):
        # A paid order charged twice: staff returned the second payment.
        self._transition(
            request,
            queryset,
            lambda order: order_services.order_refund_due_settle(
                order_id=order.pk, actor=request.user
            ),
            _("Second payment returned: %(orders)s."),
        )


@admin.register(Coupon)
class CouponAdmin(SaveFormFieldsMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "kind",
        "value_display",
        "minimum_subtotal_display",
        "usage",
        "valid_from",
        "valid_until",
        "first_order_only",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "first_order_only", "valid_until"]
    search_fields = ["code"]
    readonly_fields = ["times_used", "created_at", "updated_at"]

    @admin.display(description=gettext_lazy("value"), ordering="value")
    def value_display(self, obj) -> str:
        if obj.kind == Coupon.Kind.PERCENT:
            return f"{obj.value.normalize():f} %"
        if obj.kind == Coupon.Kind.FIXED:
            return format_money(obj.value)
        return "—"

    @admin.display(description=gettext_lazy("minimum order"), ordering="minimum_subtotal")
    def minimum_subtotal_display(self, obj) -> str:
        return format_money(obj.minimum_subtotal) if obj.minimum_subtotal else "—"

    @admin.display(description=gettext_lazy("used"), ordering="times_used")
    def usage(self, obj) -> str:
        limit = obj.usage_limit if obj.usage_limit is not None else "∞"
        return f"{obj.times_used} / {limit}"


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(ReadOnlyAdmin):
    list_display = ["coupon", "order", "email", "created_at"]
    list_select_related = ["coupon", "order"]
    list_filter = ["created_at"]
    search_fields = ["coupon__code", "order__number", "email"]


@admin.register(ShippingMethod)
class ShippingMethodAdmin(LanguageLabelsMixin, TranslationAdmin):
    list_display = ["name", "kind", "price_display", "free_over_display", "is_active", "position"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active", "position"]
    search_fields = ["name_en", "name_ind", "description_en", "description_ind"]

    @admin.display(description=gettext_lazy("price"), ordering="price")
    def price_display(self, obj) -> str:
        return format_money(obj.price)

    @admin.display(description=gettext_lazy("free over"), ordering="free_over")
    def free_over_display(self, obj) -> str:
        return format_money(obj.free_over) if obj.free_over is not None else "—"


# Products are tagged with ProductTag (translatable); taggit's own shared Tag
# model is unused, so it leaves the admin.
if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)


@admin.register(ProductTag)
class ProductTagAdmin(CatalogueEditAdminMixin, LanguageLabelsMixin, TranslationAdmin):
    list_display = ["name_en", "name_ind", "slug", "product_count"]
    search_fields = ["name_en", "name_ind", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        search_index_update_for_tags(tag_ids=[obj.pk])  # tag names are searched

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_product_count=Count("tagged_products"))

    @admin.display(description=gettext_lazy("products"), ordering="_product_count")
    def product_count(self, obj) -> int:
        return obj._product_count


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["order", "gateway", "reference", "amount_display", "status_badge", "created_at"]
    list_filter = ["gateway", "status", "created_at"]
    list_select_related = ["order"]
    search_fields = ["reference", "order__number", "order__email"]

    class Media:
        css = ADMIN_CSS

    fields = [
        "order",
        "gateway",
        "reference",
        "amount_display",
        "status_badge",
        "message",
        "created_at",
    ]
    readonly_fields = fields

    amount_display = _money_display("amount", Payment, _order_currency)
    status_badge = PaymentInline.status_badge


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(ReadOnlyAdmin):
    list_display = ["gateway", "event_id", "received_at"]
    list_filter = ["gateway", "received_at"]
    search_fields = ["event_id"]


class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ["variant", "quantity", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


@admin.register(Cart)
class CartAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "user", "line_count", "updated_at"]
    list_filter = ["updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "session_key"]
    fields = ["user", "session_key", "created_at", "updated_at"]
    inlines = [CartLineInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Abandoned carts may be cleared.
        return super(ReadOnlyAdmin, self).has_delete_permission(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_line_count=Count("lines"))

    @admin.display(description=gettext_lazy("lines"), ordering="_line_count")
    def line_count(self, obj) -> int:
        return obj._line_count


class NotifiedFilter(admin.SimpleListFilter):
    title = gettext_lazy("notified")
    parameter_name = "notified"

    def lookups(self, request, model_admin):
        return [("no", _("Waiting")), ("yes", _("Notified"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(notified_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(notified_at__isnull=False)
        return queryset


@admin.register(StockAlert)
class StockAlertAdmin(admin.ModelAdmin):
    list_display = ["email", "variant", "user", "created_at", "confirmed_at", "notified_at"]
    list_filter = [NotifiedFilter, ("confirmed_at", admin.EmptyFieldListFilter), "created_at"]
    list_select_related = ["variant__product", "user"]
    search_fields = ["email", "variant__sku", "variant__product__name"]
    autocomplete_fields = ["variant", "user"]
    readonly_fields = ["created_at", "notified_at"]


@admin.register(WishlistItem)
class WishlistItemAdmin(admin.ModelAdmin):
    list_display = ["user", "product", "created_at"]
    list_filter = ["created_at"]
    list_select_related = ["user", "product"]
    search_fields = ["user__email", "product__name"]
    autocomplete_fields = ["user", "product"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["full_name", "user", "city", "region", "postal_code", "country", "is_default"]
    list_filter = ["country", "is_default", "region"]
    list_select_related = ["user"]
    search_fields = ["full_name", "user__email", "phone", "line1", "city", "postal_code"]
    autocomplete_fields = ["user"]
