"""Forms of the shop admin: inline rows whose writes go through services,
and the intermediate pages of bulk actions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.images import image_reencode
from shop.csv_io import IMPORT_MAX_BYTES
from shop.models import ProductImage, Variant
from shop.services.catalog import IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS


class VariantInlineForm(forms.ModelForm):
    """Stock is checked here for a friendly message; the service checks it
    again under the row lock when it is saved."""

    class Meta:
        model = Variant
        fields = ["sku", "options", "price", "compare_at_price", "stock", "is_active", "position"]
        widgets = {
            "sku": forms.TextInput(attrs={"size": 16}),
            "options": forms.Textarea(attrs={"rows": 2, "cols": 26}),
            "price": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "compare_at_price": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "stock": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "position": forms.NumberInput(attrs={"class": "vIntegerField"}),
        }

    def clean_stock(self):
        stock = self.cleaned_data.get("stock")
        if stock is None:
            return stock
        if stock < 0:
            raise ValidationError(_("Stock cannot be negative."), code="invalid_stock")
        if self.instance.pk:
            reserved = (
                Variant.objects.filter(pk=self.instance.pk)
                .values_list("reserved", flat=True)
                .first()
                or 0
            )
            if stock < reserved:
                raise ValidationError(
                    _("%(count)s units are held by unpaid orders; stock cannot go below that.")
                    % {"count": reserved},
                    code="stock_below_reserved",
                )
        return stock

    def clean_options(self):
        options = self.cleaned_data.get("options") or {}
        if not isinstance(options, dict) or not all(
            isinstance(v, str | int | float) for v in options.values()
        ):
            raise ValidationError(
                _('Write options as an object of name to value, e.g. {"Size": "M"}.'),
                code="invalid_options",
            )
        return options


class StoredImageWidget(forms.Widget):
    """Stands in for the file input on a row that already has its image."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html("<span>{}</span>", _("stored"))

    def value_from_datadict(self, data, files, name):
        return None


class ProductImageInlineForm(forms.ModelForm):
    """New images come in through `upload` and are re-encoded by the catalog
    service; existing ones only change their alt text and position."""

    upload = forms.FileField(
        label=_("upload"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF. Thumbnails are made once, on upload."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    class Meta:
        model = ProductImage
        fields = ["alt_text", "position"]
        widgets = {"position": forms.NumberInput(attrs={"class": "vIntegerField"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A stored image is replaced by deleting it and uploading another.
            self.fields["upload"].disabled = True
            self.fields["upload"].widget = StoredImageWidget()

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            # Refuse a bad file here, with the field's message; the service
            # re-encodes it for real when the product is saved.
            image_reencode(
                upload, max_bytes=IMAGE_MAX_BYTES, max_pixels=IMAGE_MAX_PIXELS, max_side=64
            )
            upload.seek(0)
        return upload

    def clean(self):
        cleaned = super().clean()
        new_without_file = not self.instance.pk and not cleaned.get("upload")
        if new_without_file and self.has_changed() and not cleaned.get("DELETE"):
            self.add_error("upload", _("Choose an image to upload."))
        return cleaned


class ActionForm(forms.Form):
    """The form of an intermediate page of a bulk action."""


class PriceChangeForm(ActionForm):
    percent = forms.DecimalField(
        label=_("change by (%)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("1000"))],
        help_text=_("Positive raises, negative lowers, e.g. 10 or -15. Applies to every variant."),
    )

    def clean_percent(self):
        percent = self.cleaned_data["percent"]
        if percent == 0:
            # xgettext:no-python-format
            raise ValidationError(_("A change of 0% changes nothing."), code="zero")
        return percent


class StockSetForm(ActionForm):
    stock = forms.IntegerField(
        label=_("stock"),
        min_value=0,
        max_value=1_000_000,
        help_text=_("Sets the on-hand count of every active variant of the selected products."),
    )


class ShipForm(ActionForm):
    carrier = forms.CharField(label=_("carrier"), max_length=60, initial="JNE")

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = list(orders)
        for order in self.orders:
            self.fields[f"tracking_{order.pk}"] = forms.CharField(
                label=_("Tracking number for %(number)s") % {"number": order.number},
                max_length=80,
                initial=order.tracking_number,
            )

    def tracking_for(self, order) -> str:
        return self.cleaned_data[f"tracking_{order.pk}"]

    def tracking_fields(self):
        return [self[f"tracking_{order.pk}"] for order in self.orders]


class RefundForm(ActionForm):
    amount = forms.DecimalField(
        label=_("amount"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to refund everything not yet refunded."),
    )
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)

    def __init__(self, *args, order_count: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_count = order_count

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is not None and self.order_count > 1:
            raise ValidationError(
                _("A partial amount can be refunded on one order at a time."), code="many"
            )
        return amount


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("UTF-8, with a header row; at most %(size)s.") % {
            "size": filesizeformat(IMPORT_MAX_BYTES)
        }
